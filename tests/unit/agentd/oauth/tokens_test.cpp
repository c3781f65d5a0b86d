// OAuth message handling without the network: token responses, error mapping, device flow,
// authorization URL, ID-token e-mail, discovery documents.
#include <doctest/doctest.h>

#include <array>

#include "agentd/oauth/discovery.hpp"
#include "agentd/oauth/encoding.hpp"
#include "agentd/oauth/token_client.hpp"
#include "agentd/oauth/tokens.hpp"

using namespace agentd::oauth;
using agentd::http::Response;
using proto::ErrorCode;
using namespace std::chrono_literals;

namespace {

Response respond(int status, std::string body, agentd::http::Headers headers = {}) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  if (const auto value = response.header("Retry-After"); !value.empty()) response.retry_after = agentd::http::parse_retry_after(value);
  return response;
}

std::string id_token_with(const std::string& claims) {
  return base64url_encode(R"({"alg":"RS256"})") + "." + base64url_encode(claims) + ".c2lnbmF0dXJl";
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("token response: all fields") {
  auto tokens = parse_token_response(
      respond(200, R"({"access_token":"at","refresh_token":"rt","expires_in":3600,"id_token":"a.b.c","scope":"openid email","token_type":"bearer"})"),
      "refresh");
  REQUIRE(tokens.ok());
  CHECK(tokens->access_token == "at");
  CHECK(tokens->refresh_token == std::optional<std::string>("rt"));
  CHECK(tokens->expires_in == std::optional(3600s));
  CHECK(tokens->id_token == "a.b.c");
  CHECK(tokens->scope == "openid email");
  CHECK(tokens->token_type == "bearer");
}

TEST_CASE("token response: optional fields absent, expires_in as string or float") {
  auto tokens = parse_token_response(respond(200, R"({"access_token":"at","token_type":"Bearer"})"), "refresh");
  REQUIRE(tokens.ok());
  CHECK_FALSE(tokens->refresh_token.has_value());
  CHECK_FALSE(tokens->expires_in.has_value());
  CHECK(tokens->id_token.empty());
  tokens = parse_token_response(respond(200, R"({"access_token":"at","expires_in":"120"})"), "refresh");
  REQUIRE(tokens.ok());
  CHECK(tokens->expires_in == std::optional(120s));
  CHECK(tokens->token_type == "Bearer");
  tokens = parse_token_response(respond(200, R"({"access_token":"at","expires_in":59.9,"refresh_token":""})"), "refresh");
  REQUIRE(tokens.ok());
  CHECK(tokens->expires_in == std::optional(59s));
  CHECK_FALSE(tokens->refresh_token.has_value());
}

TEST_CASE("token response: malformed answers are server_error and never quote the body") {
  for (const char* body : {"{not json SECRETX", "[]", R"({"refresh_token":"SECRETX"})", R"({"access_token":""})",
                           R"({"access_token":"SECRETX","token_type":"DPoP"})", R"({"access_token":"SECRETX","expires_in":"soon"})",
                           R"({"access_token":42})"}) {
    CAPTURE(body);
    auto tokens = parse_token_response(respond(200, body), "token refresh at https://h/token");
    REQUIRE_FALSE(tokens.ok());
    CHECK(tokens.error().code == ErrorCode::server_error);
    CHECK(contains(tokens.error().message, "malformed answer to token refresh at https://h/token"));
    CHECK_FALSE(contains(tokens.error().message, "SECRETX"));
  }
}

TEST_CASE("OAuth errors: invalid_grant means login required") {
  auto tokens = parse_token_response(respond(400, R"({"error":"invalid_grant","error_description":"grant request is invalid"})"), "token refresh");
  REQUIRE_FALSE(tokens.ok());
  CHECK(tokens.error().code == ErrorCode::login_required);
  CHECK(tokens.error().oauth_error == "invalid_grant");
  CHECK(tokens.error().http_status == 400);
  CHECK(contains(tokens.error().message, "invalid_grant: grant request is invalid"));
  CHECK(contains(tokens.error().message, "log in again with `fluxloop auth login`"));
}

TEST_CASE("OAuth errors: other 4xx quote error and error_description") {
  auto error = map_error_response(respond(400, R"({"error":"invalid_client","error_description":"unknown client"})"), "token refresh");
  CHECK(error.code == ErrorCode::invalid_argument);
  CHECK(error.message == "token refresh was refused (HTTP 400): invalid_client: unknown client");
  error = map_error_response(respond(400, R"({"error":"invalid_scope"})"), "token refresh");
  CHECK(error.code == ErrorCode::permission_denied);
  CHECK(error.message == "token refresh was refused (HTTP 400): invalid_scope");
  error = map_error_response(respond(404, "<html>not found</html>"), "token refresh");
  CHECK(error.code == ErrorCode::server_error);
  CHECK(error.message == "token refresh failed: unexpected answer HTTP 404");
  error = map_error_response(respond(401, "", {{"WWW-Authenticate", R"(Bearer error="invalid_token", error_description="expired")"}}), "userinfo");
  CHECK(error.code == ErrorCode::permission_denied);
  CHECK(error.oauth_error == "invalid_token");
  CHECK(contains(error.message, "invalid_token: expired"));
}

TEST_CASE("OAuth errors: 5xx and 429 are server_error carrying Retry-After") {
  auto error = map_error_response(respond(503, R"({"error":"temporarily_unavailable"})", {{"Retry-After", "7"}}), "token refresh");
  CHECK(error.code == ErrorCode::server_error);
  CHECK(error.retry_after == std::optional(7s));
  CHECK(error.message == "token refresh failed: the server answered HTTP 503 (temporarily_unavailable); retry after 7 s");
  error = map_error_response(respond(429, "slow down", {{"Retry-After", "2"}}), "token refresh");
  CHECK(error.code == ErrorCode::server_error);
  CHECK(error.retry_after == std::optional(2s));
  error = map_error_response(respond(500, "oops"), "token refresh");
  CHECK(error.code == ErrorCode::server_error);
  CHECK_FALSE(error.retry_after.has_value());
  CHECK(error.message == "token refresh failed: the server answered HTTP 500");
}

TEST_CASE("OAuth errors: descriptions are sanitised, capped, and echoed secrets masked") {
  const std::string secret = "flx_refresh_0123456789abcdef0123456789abcdef";
  const std::array<std::string_view, 1> secrets{secret};
  const std::string body = R"({"error":"invalid_request","error_description":"bad token )" + secret +
                           R"( \u001b[31m\u00e9)" + std::string(400, 'z') + R"("})";
  const auto error = map_error_response(respond(400, body), "token refresh", secrets);
  CHECK_FALSE(contains(error.message, secret));
  CHECK(contains(error.message, "bad token flx_…cdef ??zzz"));  // ESC[31m removed whole, é as ??
  CHECK(contains(error.message, "..."));
  CHECK(error.message.size() < 300);
  for (unsigned char c : error.message.substr(0, error.message.find("flx_…")))
    CHECK((c >= 0x20 && c < 0x7f));
  CHECK(sanitize_server_text("a\nb\tc") == "a?b?c");
}

TEST_CASE("ID token: e-mail from the payload, nothing from junk") {
  CHECK(email_from_id_token(id_token_with(R"({"sub":"1","email":"user@example.com"})")) == std::optional<std::string>("user@example.com"));
  CHECK_FALSE(email_from_id_token(id_token_with(R"({"sub":"1"})")).has_value());
  CHECK_FALSE(email_from_id_token(id_token_with(R"({"email":42})")).has_value());
  CHECK_FALSE(email_from_id_token(id_token_with(R"({"email":"a\nb@example.com"})")).has_value());
  CHECK_FALSE(email_from_id_token(id_token_with("not json")).has_value());
  CHECK_FALSE(email_from_id_token("").has_value());
  CHECK_FALSE(email_from_id_token("onlyonepart").has_value());
  CHECK_FALSE(email_from_id_token("a.!!!.c").has_value());
  CHECK_FALSE(email_from_id_token("a.b.c.d.e").has_value());  // JWE
}

TEST_CASE("device authorization: parsed, interval defaults to 5 s, URIs must be https") {
  auto device = parse_device_authorization(
      respond(200, R"({"device_code":"dc","user_code":"AB-CD","verification_uri":"https://h/activate","expires_in":600})"), "device login");
  REQUIRE(device.ok());
  CHECK(device->device_code == "dc");
  CHECK(device->user_code == "AB-CD");
  CHECK(device->verification_uri == "https://h/activate");
  CHECK(device->verification_uri_complete.empty());
  CHECK(device->expires_in == 600s);
  CHECK(device->interval == 5s);
  device = parse_device_authorization(
      respond(200, R"({"device_code":"dc","user_code":"u","verification_uri":"https://h/a","verification_uri_complete":"https://h/a?c=u","expires_in":"60","interval":10})"),
      "device login");
  REQUIRE(device.ok());
  CHECK(device->interval == 10s);
  CHECK(device->verification_uri_complete == "https://h/a?c=u");
  for (const char* body : {R"({"user_code":"u","verification_uri":"https://h/a","expires_in":60})",
                           R"({"device_code":"d","user_code":"u","verification_uri":"http://h/a","expires_in":60})",
                           R"({"device_code":"d","user_code":"u","verification_uri":"https://h/a"})", "nope"}) {
    CAPTURE(body);
    auto bad = parse_device_authorization(respond(200, body), "device login");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == ErrorCode::server_error);
  }
}

TEST_CASE("device poll: the RFC 8628 outcomes are values") {
  const std::pair<const char*, DevicePollState> cases[] = {{"authorization_pending", DevicePollState::pending},
                                                           {"slow_down", DevicePollState::slow_down},
                                                           {"expired_token", DevicePollState::expired_token},
                                                           {"access_denied", DevicePollState::access_denied}};
  for (const auto& [error, state] : cases) {
    CAPTURE(error);
    auto poll = parse_device_poll(respond(400, std::string(R"({"error":")") + error + R"("})"), "device poll");
    REQUIRE(poll.ok());
    CHECK(poll->state == state);
    CHECK_FALSE(poll->tokens.has_value());
  }
  auto poll = parse_device_poll(respond(200, R"({"access_token":"at","refresh_token":"rt","expires_in":60})"), "device poll");
  REQUIRE(poll.ok());
  CHECK(poll->state == DevicePollState::success);
  REQUIRE(poll->tokens.has_value());
  CHECK(poll->tokens->access_token == "at");
  auto failed = parse_device_poll(respond(400, R"({"error":"invalid_grant"})"), "device poll");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::login_required);
  failed = parse_device_poll(respond(502, "bad gateway"), "device poll");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::server_error);
}

TEST_CASE("authorization URL carries PKCE S256, state and an encoded redirect URI") {
  AuthorizationRequest request{.client_id = "cli ent", .redirect_uri = "http://127.0.0.1:49152/callback",
                               .scope = "openid email offline_access", .state = "st", .code_challenge = "ch"};
  auto url = build_authorization_url("https://auth.example.com/authorize", request);
  REQUIRE(url.ok());
  CHECK(*url == "https://auth.example.com/authorize?response_type=code&client_id=cli%20ent"
                "&redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fcallback&scope=openid%20email%20offline_access"
                "&state=st&code_challenge=ch&code_challenge_method=S256");
  url = build_authorization_url("https://auth.example.com/authorize?tenant=a", request);
  REQUIRE(url.ok());
  CHECK(contains(*url, "/authorize?tenant=a&response_type=code&"));
  CHECK_FALSE(build_authorization_url("http://auth.example.com/authorize", request).ok());
  CHECK_FALSE(build_authorization_url("https://auth.example.com/authorize#x", request).ok());
  CHECK(join_scopes({"openid", "", "email"}) == "openid email");
}

TEST_CASE("request forms carry what each grant needs") {
  CHECK(form_encode(refresh_form({.token_endpoint = "https://h/t", .client_id = "c", .refresh_token = "r", .scope = ""})) ==
        "grant_type=refresh_token&refresh_token=r&client_id=c");
  CHECK(form_encode(refresh_form({.token_endpoint = "https://h/t", .client_id = "c", .refresh_token = "r", .scope = "a b"})) ==
        "grant_type=refresh_token&refresh_token=r&client_id=c&scope=a%20b");
  CHECK(form_encode(code_exchange_form({.token_endpoint = "", .client_id = "c", .code = "x", .code_verifier = "v", .redirect_uri = "http://127.0.0.1:1/cb"})) ==
        "grant_type=authorization_code&code=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&client_id=c&code_verifier=v");
  CHECK(form_encode(device_poll_form({.token_endpoint = "", .client_id = "c", .device_code = "d"})) ==
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=d&client_id=c");
  CHECK(form_encode(device_authorization_form({.device_authorization_endpoint = "", .client_id = "c", .scope = "openid"})) ==
        "client_id=c&scope=openid");
  CHECK(form_encode(revocation_form({.revocation_endpoint = "", .client_id = "c", .token = "t", .hint = TokenTypeHint::access_token})) ==
        "token=t&token_type_hint=access_token&client_id=c");
}

TEST_CASE("discovery URLs: OIDC appends, RFC 8414 inserts before the path") {
  CHECK(openid_configuration_url("https://h") == "https://h/.well-known/openid-configuration");
  CHECK(openid_configuration_url("https://h/realms/x/") == "https://h/realms/x/.well-known/openid-configuration");
  CHECK(authorization_server_metadata_url("https://h") == "https://h/.well-known/oauth-authorization-server");
  CHECK(authorization_server_metadata_url("https://h:8443/realms/x") == "https://h:8443/.well-known/oauth-authorization-server/realms/x");
}

TEST_CASE("discovery documents: issuer must match, endpoints must be https") {
  const std::string good = R"({"issuer":"https://h/x","authorization_endpoint":"https://h/a","token_endpoint":"https://h/t",
      "device_authorization_endpoint":"https://h/d","revocation_endpoint":"https://h/r","userinfo_endpoint":"https://h/u",
      "code_challenge_methods_supported":["plain","S256"]})";
  auto metadata = parse_provider_metadata(respond(200, good), "https://h/x/");
  REQUIRE(metadata.ok());
  CHECK(metadata->token_endpoint == "https://h/t");
  CHECK(metadata->device_authorization_endpoint == "https://h/d");
  CHECK(metadata->revocation_endpoint == "https://h/r");
  CHECK(metadata->userinfo_endpoint == "https://h/u");
  CHECK(metadata->code_challenge_methods_supported == std::vector<std::string>{"plain", "S256"});

  auto bad = parse_provider_metadata(respond(200, good), "https://other/x");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::server_error);
  CHECK(contains(bad.error().message, "names a different issuer (\"https://h/x\")"));
  bad = parse_provider_metadata(respond(200, R"({"issuer":"https://h","token_endpoint":"http://h/t"})"), "https://h");
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.error().message, "unusable token_endpoint: refusing insecure http:// URL"));
  bad = parse_provider_metadata(respond(200, R"({"issuer":"https://h"})"), "https://h");
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.error().message, "has no token_endpoint"));
  bad = parse_provider_metadata(respond(200, "<html>"), "https://h");
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.error().message, "is not a JSON object"));
}

TEST_CASE("token response: a refresh token echoed as token_type is masked (a fuzz/oauth_tokens invariant)") {
  // The unsupported token_type is quoted (32 bytes at most): it used to be quoted without the
  // request's secrets, so an echoed refresh token reached the message nearly whole.
  const std::string secret = "flx_refresh_0123456789abcdef";
  const std::array<std::string_view, 1> secrets{secret};
  auto tokens = parse_token_response(respond(200, R"({"access_token":"a","token_type":")" + secret + R"("})"),
                                     "token refresh", secrets);
  REQUIRE_FALSE(tokens.ok());
  CHECK(contains(tokens.error().message, "unsupported token_type \"flx_…cdef\""));
  CHECK_FALSE(contains(tokens.error().message, "flx_refresh_0123"));
}
