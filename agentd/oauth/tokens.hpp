// OAuth token-endpoint messages as values: parsing responses (RFC 6749 §5, RFC 8628 §3.2/§3.5),
// building the authorization URL (RFC 6749 §4.1.1 + PKCE), reading the e-mail from an ID token.
// Pure functions: no network, testable on their own. The requests live in token_client.hpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agentd/http/message.hpp"
#include "agentd/oauth/errors.hpp"

namespace agentd::oauth {

// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
inline constexpr std::chrono::seconds kDefaultDeviceInterval{5};

// A successful token response. Holds secrets: the destructor wipes them.
struct TokenResponse {
  std::string access_token;
  std::optional<std::string> refresh_token;     // absent when the server did not issue or rotate one
  std::optional<std::chrono::seconds> expires_in;
  std::string id_token;                         // empty when absent
  std::string scope;                            // empty when absent (then: as requested)
  std::string token_type;                       // "Bearer"

  TokenResponse() = default;
  TokenResponse(const TokenResponse&) = default;
  TokenResponse(TokenResponse&&) noexcept = default;
  TokenResponse& operator=(const TokenResponse&) = default;
  TokenResponse& operator=(TokenResponse&&) noexcept = default;
  ~TokenResponse();
};

// Parses a token endpoint's answer. Non-200 goes through map_error_response(`what`, `secrets`);
// a 200 that is not a JSON object with a non-empty access_token, or has a token_type other than
// Bearer, is server_error ("malformed token response"). Messages never quote the body.
Result<TokenResponse> parse_token_response(const http::Response& response, std::string_view what,
                                           Secrets secrets = {});

// The "email" claim of an ID token's payload, or nullopt. The signature is NOT verified; see .cpp.
std::optional<std::string> email_from_id_token(std::string_view id_token);

// RFC 8628 §3.2 device authorization response. device_code is a secret.
struct DeviceAuthorization {
  std::string device_code;
  std::string user_code;
  std::string verification_uri;
  std::string verification_uri_complete;  // empty when the server sent none
  std::chrono::seconds expires_in{0};
  std::chrono::seconds interval = kDefaultDeviceInterval;
};

// Parses the device authorization endpoint's answer; verification URIs must be https and free of control
// characters; control characters are removed from user_code (it reaches a terminal).
Result<DeviceAuthorization> parse_device_authorization(const http::Response& response, std::string_view what);

enum class DevicePollState { pending, slow_down, expired_token, access_denied, success };

// One poll of the token endpoint during a device login. `tokens` is set exactly for `success`.
// On slow_down the caller adds 5 s to its interval (RFC 8628 §3.5).
struct DevicePoll {
  DevicePollState state = DevicePollState::pending;
  std::optional<TokenResponse> tokens;
};

// Classifies a device-code token response. The four RFC 8628 outcomes are values; any other error
// response is an Error as map_error_response gives it.
Result<DevicePoll> parse_device_poll(const http::Response& response, std::string_view what,
                                     Secrets secrets = {});

struct AuthorizationRequest {
  std::string client_id;
  std::string redirect_uri;   // the loopback listener, http://127.0.0.1:PORT/callback
  std::string scope;          // space-separated; omitted when empty
  std::string state;
  std::string code_challenge; // S256
};

// The URL the user's browser opens: the endpoint (https, any query kept) plus response_type=code,
// client_id, redirect_uri, scope, state, code_challenge and code_challenge_method=S256.
proto::Result<std::string> build_authorization_url(std::string_view authorization_endpoint,
                                                   const AuthorizationRequest& request);

// "a b c" from {"a", "b", "c"}.
std::string join_scopes(const std::vector<std::string>& scopes);

}  // namespace agentd::oauth
