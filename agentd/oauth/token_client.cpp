#include "agentd/oauth/token_client.hpp"

#include <array>

#include <nlohmann/json.hpp>

#include "agentd/http/url.hpp"
#include "agentd/oauth/encoding.hpp"
#include "proto/mask.hpp"

namespace agentd::oauth {
namespace {

constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";
constexpr std::string_view kDeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code";

// "token refresh at https://host/token": names the request without its query.
std::string describe(std::string_view operation, std::string_view url) {
  return std::string(operation) + " at " + http::redact_url(url);
}

// Takes the fields by value and wipes them once encoded; the client wipes the encoded body.
boost::asio::awaitable<proto::Result<http::Response>> post_form(http::Client& client, std::string url, FormFields fields) {
  http::Request request;
  request.method = "POST";
  request.url = std::move(url);
  request.content_type = std::string(kFormContentType);
  request.body = form_encode(fields);
  for (auto& field : fields) proto::wipe(field.second);
  co_return co_await client.send(std::move(request));
}

Error with_context(proto::Error error, std::string_view what) {
  return Error(error.code, std::string(what) + " failed: " + error.message);
}

}  // namespace

// The form builders are plain functions: testable, and no braced list sits in a coroutine
// (docs/development.md "g++ 12 and coroutines").
FormFields code_exchange_form(const CodeExchange& request) {
  return {{"grant_type", "authorization_code"},
          {"code", request.code},
          {"redirect_uri", request.redirect_uri},
          {"client_id", request.client_id},
          {"code_verifier", request.code_verifier}};
}

FormFields refresh_form(const RefreshRequest& request) {
  FormFields fields{{"grant_type", "refresh_token"}, {"refresh_token", request.refresh_token}, {"client_id", request.client_id}};
  if (!request.scope.empty()) fields.emplace_back("scope", request.scope);
  return fields;
}

FormFields device_authorization_form(const DeviceRequest& request) {
  FormFields fields{{"client_id", request.client_id}};
  if (!request.scope.empty()) fields.emplace_back("scope", request.scope);
  return fields;
}

FormFields device_poll_form(const DevicePollRequest& request) {
  return {{"grant_type", std::string(kDeviceGrantType)}, {"device_code", request.device_code}, {"client_id", request.client_id}};
}

FormFields revocation_form(const RevokeRequest& request) {
  return {{"token", request.token},
          {"token_type_hint", request.hint == TokenTypeHint::refresh_token ? "refresh_token" : "access_token"},
          {"client_id", request.client_id}};
}

boost::asio::awaitable<Result<TokenResponse>> exchange_code(http::Client& client, CodeExchange request) {
  proto::WipeOnExit wipe_code{request.code};
  proto::WipeOnExit wipe_verifier{request.code_verifier};
  const auto what = describe("login (authorization code exchange)", request.token_endpoint);
  auto response = co_await post_form(client, request.token_endpoint, code_exchange_form(request));
  if (!response) co_return with_context(std::move(response).error(), what);
  const std::array<std::string_view, 2> secrets{request.code, request.code_verifier};
  co_return parse_token_response(*response, what, secrets);
}

boost::asio::awaitable<Result<TokenResponse>> refresh_tokens(http::Client& client, RefreshRequest request) {
  proto::WipeOnExit wipe_token{request.refresh_token};
  const auto what = describe("token refresh", request.token_endpoint);
  auto response = co_await post_form(client, request.token_endpoint, refresh_form(request));
  if (!response) co_return with_context(std::move(response).error(), what);
  const std::array<std::string_view, 1> secrets{request.refresh_token};
  co_return parse_token_response(*response, what, secrets);
}

boost::asio::awaitable<Result<DeviceAuthorization>> start_device_authorization(http::Client& client, DeviceRequest request) {
  const auto what = describe("device login", request.device_authorization_endpoint);
  auto response = co_await post_form(client, request.device_authorization_endpoint, device_authorization_form(request));
  if (!response) co_return with_context(std::move(response).error(), what);
  co_return parse_device_authorization(*response, what);
}

boost::asio::awaitable<Result<DevicePoll>> poll_device_token(http::Client& client, DevicePollRequest request) {
  proto::WipeOnExit wipe_code{request.device_code};
  const auto what = describe("device login (token poll)", request.token_endpoint);
  auto response = co_await post_form(client, request.token_endpoint, device_poll_form(request));
  if (!response) co_return with_context(std::move(response).error(), what);
  const std::array<std::string_view, 1> secrets{request.device_code};
  co_return parse_device_poll(*response, what, secrets);
}

boost::asio::awaitable<Result<proto::Ok>> revoke_token(http::Client& client, RevokeRequest request) {
  proto::WipeOnExit wipe_token{request.token};
  const auto what = describe("token revocation", request.revocation_endpoint);
  auto response = co_await post_form(client, request.revocation_endpoint, revocation_form(request));
  if (!response) co_return with_context(std::move(response).error(), what);
  // RFC 7009 §2.2: 200 also for invalid or unknown tokens, so a second logout is not an error.
  if (response->status == 200) co_return proto::Ok{};
  const std::array<std::string_view, 1> secrets{request.token};
  co_return map_error_response(*response, what, secrets);
}

boost::asio::awaitable<Result<std::string>> fetch_userinfo_email(http::Client& client, std::string userinfo_endpoint,
                                                                 std::string access_token) {
  proto::WipeOnExit wipe_token{access_token};
  const auto what = describe("userinfo request", userinfo_endpoint);
  http::Request request;
  request.url = userinfo_endpoint;
  request.headers.emplace_back("Authorization", "Bearer " + access_token);
  auto response = co_await client.send(std::move(request));
  if (!response) co_return with_context(std::move(response).error(), what);
  if (response->status != 200) {
    const std::array<std::string_view, 1> secrets{access_token};
    co_return map_error_response(*response, what, secrets);
  }
  const auto object = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) co_return Error(proto::ErrorCode::server_error, "malformed answer to " + what + ": not a JSON object");
  const auto email = object.find("email");
  if (email == object.end() || !email->is_string() || email->get<std::string>().empty()) {
    co_return Error(proto::ErrorCode::server_error, what + " returned no email (is the \"email\" scope granted?)");
  }
  co_return email->get<std::string>();
}

}  // namespace agentd::oauth
