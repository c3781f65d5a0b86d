// Plain request/response values exchanged between the HTTPS front end (server.cpp, the only
// Beast/SSL translation unit) and the emulator's logic (no Beast headers anywhere else).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace platform {

// One parsed HTTP request. Header names are lower-case; the target is the raw request-target.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/oauth/authorize?x=y"
  std::map<std::string, std::string> headers;
  std::string body;
  bool peer_is_loopback = false;  // the TCP peer address is 127.0.0.0/8 or ::1

  // The header's value, or "" when absent.
  std::string header(const std::string& lower_name) const;
  // The target without its query string.
  std::string path() const;
  // The query string without '?', or "".
  std::string query() const;
};

// One HTTP response to send back.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Location, Retry-After...)
  std::string body;
};

// What the front end must do with a request (fault injection can ask for more than a response).
struct Outcome {
  enum class Action {
    respond,            // send `response`
    reset,              // close the TCP connection at once, answering nothing
    delay_then_handle,  // wait `delay`, then call Platform::handle_without_faults and send that
  };
  Action action = Action::respond;
  HttpResponse response;
  std::chrono::milliseconds delay{0};
};

}  // namespace platform
