// HTTP request and response as plain structs: what the rest of the agent sees of HTTP.
// Deliberately free of Beast and OpenSSL so that including it costs nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentd::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One request. `body` and any Authorization header may carry secrets: the client never logs them
// or puts them into an error message.
struct Request {
  std::string method = "GET";
  std::string url;           // absolute https:// URL
  Headers headers;           // extra headers (Authorization, Accept, …)
  std::string body;
  std::string content_type;  // sent as Content-Type when the body is not empty
};

// A complete response of any status: HTTP-level failures are statuses, not errors.
struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;  // parsed Retry-After, if present and valid

  // The first value of header `name` (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

// The longest wait a Retry-After may ask for; larger values are clamped to it.
inline constexpr std::chrono::seconds kMaxRetryAfter{24 * 3600};

// Parses a Retry-After value: delta-seconds ("7") or an IMF-fixdate HTTP-date relative to `now`.
// Past dates give 0 s; values over kMaxRetryAfter are clamped; anything else gives nullopt.
std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace agentd::http
