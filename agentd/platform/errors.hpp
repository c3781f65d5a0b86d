// What the FluxLoop API's answers mean for the agent (CONTRACT.md "Platform API"): the error mapping
// onto proto errors and the request URL. Pure functions, no Asio: unit-tested on their own.
#pragma once

#include <string>
#include <string_view>

#include "agentd/http/message.hpp"
#include "agentd/oauth/errors.hpp"
#include "proto/result.hpp"

namespace agentd::platform {

// Where the bearer of a request came from: decides what a 401 tells the user to do.
enum class CredentialKind {
  given,    // Target.bearer: --api-key, FLUXLOOP_TOKEN, FLUXLOOP_API_KEY, api_key_file
  api_key,  // a profile of the agent that holds an API key
  oauth,    // a profile of the agent that holds OAuth tokens (refreshed once on a 401)
};

struct Context {
  CredentialKind kind = CredentialKind::given;
  std::string profile;  // the profile used (empty for `given`)
};

// The `scope="…"` parameter of a WWW-Authenticate header (RFC 6750 §3), or "" when absent.
std::string scope_from_www_authenticate(std::string_view header);

// Maps a non-2xx answer onto a proto error whose message the user can act on. `what` names the
// operation ("list API keys"). `secrets` (the bearer) are masked should the server echo them.
//   401 -> login_required (what to do depends on `context`)
//   403 -> permission_denied "Permission denied: this request needs the 'write' scope; …"
//   404 -> not_found; 400/405/409/422 -> invalid_argument; 429, 5xx, others -> server_error
// Never quotes the body beyond a sanitised error_description.
proto::Error map_error(const http::Response& response, std::string_view what, const Context& context,
                       oauth::Secrets secrets);

// endpoint + path as an absolute https URL. The endpoint must be https (http:// refused with a clear
// error); the path must start with '/' and hold no whitespace or control characters.
proto::Result<std::string> join_url(std::string_view endpoint, std::string_view path);

// True for 2xx statuses.
constexpr bool is_success(int status) noexcept { return status >= 200 && status < 300; }

}  // namespace agentd::platform
