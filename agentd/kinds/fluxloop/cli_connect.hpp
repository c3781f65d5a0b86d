// CLI connect, the FluxLoop platform's own device login (CONTRACT.md "The FluxLoop platform
// itself"): start, complete (polled), refresh, all JSON POSTs under {api_endpoint}/api/cli-connect.
// Errors are FastAPI's: a non-2xx status with {"detail": …}. The parsers are pure (unit-tested).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "agentd/http/https_client.hpp"
#include "agentd/tokens/refresher.hpp"
#include "proto/result.hpp"

namespace agentd::kinds::fluxloop {

// Used when the start answer leaves them out (as the platform CLI does).
inline constexpr std::chrono::seconds kDefaultInterval{5};
inline constexpr std::chrono::seconds kDefaultExpiresIn{600};
// A credential without expires_at lives this long (the platform CLI's assumption).
inline constexpr std::chrono::seconds kDefaultLifetime{3600};

struct Start {
  std::string device_code;  // a secret of the login: never logged
  std::string user_code;
  std::string verification_url;
  std::chrono::seconds expires_in = kDefaultExpiresIn;  // expires_in, else expires_in_sec
  std::chrono::seconds interval = kDefaultInterval;     // interval, else interval_sec; at least 1 s
  ~Start();
};

// The credential object of complete and refresh. Empty strings for absent fields.
struct Credential {
  std::string access_token;
  std::string refresh_token;
  std::string user_id;
  std::string user_email;
  std::chrono::seconds expires_in = kDefaultLifetime;  // from expires_at (any RFC 3339 offset, or
                                                       // none: UTC) at parse time; absent: one hour
  ~Credential();
};

enum class Status { pending, approved, denied, expired };
struct Poll {
  Status status = Status::pending;
  Credential credential;  // approved only
};

// Parse the 2xx answer bodies. server_error naming what is missing (never quoting a value).
proto::Result<Start> parse_start(std::string_view body);
proto::Result<Poll> parse_complete(std::string_view body,
                                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
proto::Result<Credential> parse_credential_answer(std::string_view body,
                                                  std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The error of a non-2xx answer: 400/401/403 -> login_required (the refresh token or device code
// was refused), 404 -> not_found, 429/5xx and others -> server_error with Retry-After; the message
// quotes the sanitised {"detail"} and masks `secret` should the server echo it.
proto::Error map_error(const http::Response& response, std::string_view what, std::string_view secret);

// The three requests. `endpoint` is the profile's https API endpoint.
boost::asio::awaitable<proto::Result<Start>> start(http::Client& client, std::string endpoint);
boost::asio::awaitable<proto::Result<Poll>> complete(http::Client& client, std::string endpoint, std::string device_code);
boost::asio::awaitable<tokens::Attempt> refresh(http::Client& client, std::string endpoint, std::string refresh_token);

}  // namespace agentd::kinds::fluxloop
