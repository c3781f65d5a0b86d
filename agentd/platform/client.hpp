// Authenticated requests to the FluxLoop API (CONTRACT.md "Platform API") for a proto::Target: the
// credential (a given bearer, a profile's API key or its OAuth access token), the endpoint, one
// refresh-and-retry on a 401 for OAuth profiles, and the error mapping of platform/errors.hpp.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "agentd/http/https_client.hpp"
#include "agentd/platform/errors.hpp"
#include "proto/messages_platform.hpp"
#include "proto/result.hpp"

namespace agentd::platform {

// A credential ready to send. `value` is a secret: wiped on destruction, never logged.
struct Bearer {
  std::string value;
  Context context;
  std::string api_endpoint;  // where the request goes (already chosen: Target, profile, default)

  Bearer() = default;
  Bearer(const Bearer&) = default;
  Bearer(Bearer&&) noexcept = default;
  Bearer& operator=(const Bearer&) = default;
  Bearer& operator=(Bearer&&) noexcept = default;
  ~Bearer();
};

// What the agent supplies: the credential of a target, and a forced refresh of an OAuth profile.
struct Hooks {
  std::function<boost::asio::awaitable<proto::Result<Bearer>>(const proto::Target& target)> credential;
  std::function<boost::asio::awaitable<proto::Status>(const std::string& profile)> refresh;
};

// The longest one call spends retrying 429 and 5xx answers (CONTRACT.md); an answer whose
// Retry-After reaches past it is reported at once. Below the client's 30 s wait for a reply, so the
// client hears the server's answer rather than its own timeout.
inline constexpr std::chrono::seconds kRetryDeadline{20};

struct Call {
  std::string method = "GET";
  std::string path;  // starts with '/': "/v1/api-keys"
  std::string body;  // JSON text; empty: none
  std::string what;  // the operation for error messages: "list API keys"
};

struct Answer {
  http::Response response;
  Context context;            // the credential used (profile name, kind), for messages and records
  std::string api_endpoint;   // where the request went
};

// Whether a non-2xx answer is an error (apikeys ops) or a result (`fluxloop api` shows any status).
enum class Expect { success, any_status };

// Sends `call` with the target's credential. A 401 with an OAuth profile refreshes once and retries
// once; 429 and 503 (any method) and 500/502/504 (idempotent methods) are retried with backoff,
// honouring Retry-After, within kRetryDeadline. With
// Expect::success a non-2xx answer is mapped (map_error); with any_status it is returned as is.
// Errors as values: credential failures (login_required, no_such_profile, locked), invalid_argument
// (bad endpoint or path), network, server_error.
boost::asio::awaitable<proto::Result<Answer>> send(http::Client& client, const Hooks& hooks,
                                                   const proto::Target& target, Call call, Expect expect);

}  // namespace agentd::platform
