// The OAuth requests the agent makes, over http::Client: code exchange, refresh, device login,
// revocation, userinfo. Each returns a value or an oauth::Error (errors.hpp), never throws.
// Every coroutine takes `client` by reference: it must outlive the awaited call.
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "agentd/http/https_client.hpp"
#include "agentd/oauth/encoding.hpp"
#include "agentd/oauth/errors.hpp"
#include "agentd/oauth/tokens.hpp"

namespace agentd::oauth {

// Form fields are sent as application/x-www-form-urlencoded POSTs (RFC 6749 §4.1.3).
struct CodeExchange {
  std::string token_endpoint;
  std::string client_id;
  std::string code;
  std::string code_verifier;
  std::string redirect_uri;  // exactly as in the authorization request
};

struct RefreshRequest {
  std::string token_endpoint;
  std::string client_id;
  std::string refresh_token;
  std::string scope;  // omitted when empty (the server then keeps the granted scope)
};

struct DeviceRequest {
  std::string device_authorization_endpoint;
  std::string client_id;
  std::string scope;
};

struct DevicePollRequest {
  std::string token_endpoint;
  std::string client_id;
  std::string device_code;
};

enum class TokenTypeHint { refresh_token, access_token };

struct RevokeRequest {
  std::string revocation_endpoint;
  std::string client_id;
  std::string token;
  TokenTypeHint hint = TokenTypeHint::refresh_token;
};

// The form bodies of the requests below (field order as sent). They hold the request's secrets.
FormFields code_exchange_form(const CodeExchange& request);
FormFields refresh_form(const RefreshRequest& request);
FormFields device_authorization_form(const DeviceRequest& request);
FormFields device_poll_form(const DevicePollRequest& request);
FormFields revocation_form(const RevokeRequest& request);

// grant_type=authorization_code with the PKCE verifier. invalid_grant -> login_required.
boost::asio::awaitable<Result<TokenResponse>> exchange_code(http::Client& client, CodeExchange request);

// grant_type=refresh_token. invalid_grant -> login_required (error.oauth_error == "invalid_grant");
// 429/5xx -> server_error with retry_after; network failures pass through as network.
boost::asio::awaitable<Result<TokenResponse>> refresh_tokens(http::Client& client, RefreshRequest request);

// RFC 8628 §3.1: starts a device login.
boost::asio::awaitable<Result<DeviceAuthorization>> start_device_authorization(http::Client& client, DeviceRequest request);

// RFC 8628 §3.4: one poll. pending/slow_down/expired_token/access_denied/success are values.
boost::asio::awaitable<Result<DevicePoll>> poll_device_token(http::Client& client, DevicePollRequest request);

// RFC 7009: revokes one token. Success is any 200 (also for tokens the server no longer knows).
boost::asio::awaitable<Result<proto::Ok>> revoke_token(http::Client& client, RevokeRequest request);

// GET userinfo with the access token as Bearer; its "email". 401 -> permission_denied with
// oauth_error "invalid_token" when the server says so (the caller may refresh and retry).
boost::asio::awaitable<Result<std::string>> fetch_userinfo_email(http::Client& client, std::string userinfo_endpoint,
                                                                 std::string access_token);

}  // namespace agentd::oauth
