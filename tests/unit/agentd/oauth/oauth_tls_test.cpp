// The OAuth layer end to end over real TLS against tests/support/tls_server.py's mini OAuth server.
#include <doctest/doctest.h>

#include "agentd/oauth/discovery.hpp"
#include "agentd/oauth/token_client.hpp"
#include "tests/unit/agentd/http/tls_fixture.hpp"

using namespace agentd::oauth;
using agentd::http::Client;
using agentd::http::ClientOptions;
using proto::ErrorCode;
using namespace std::chrono_literals;

namespace {

ClientOptions trusted() {
  ClientOptions options;
  options.ca_bundle = tlstest::ca_bundle();
  options.total_timeout = 5s;
  return options;
}

// Runs `body(client)` as a coroutine with a fresh Client on a fresh io_context.
template <typename F>
auto with_client(F body) {
  return tlstest::run([](F f) -> decltype(f(std::declval<Client&>())) {
    Client client(co_await boost::asio::this_coro::executor, trusted());
    co_return co_await f(client);
  }(std::move(body)));
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("oauth/tls: discovery via openid-configuration, RFC 8414 fallback, issuer mismatch, http endpoint") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  const std::string oidc = server.url("/oidc");
  auto metadata = with_client([&](Client& c) { return discover(c, oidc); });
  REQUIRE(metadata.ok());
  CHECK(metadata->issuer == oidc);  // the server built it from our Host header, port included
  CHECK(metadata->token_endpoint == server.url("/token"));
  CHECK(metadata->device_authorization_endpoint == server.url("/device"));

  const std::string as = server.url("/as");
  metadata = with_client([&](Client& c) { return discover(c, as); });
  REQUIRE(metadata.ok());
  CHECK(metadata->issuer == as);

  auto bad = with_client([&](Client& c) { return discover(c, server.url("/evil")); });
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::server_error);
  CHECK(contains(bad.error().message, "names a different issuer"));

  bad = with_client([&](Client& c) { return discover(c, server.url("/plain")); });
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.error().message, "refusing insecure http://"));

  bad = with_client([&](Client& c) { return discover(c, server.url("/nowhere")); });
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.error().message, "neither"));

  bad = with_client([&](Client& c) { return discover(c, "http://127.0.0.1:1/oidc"); });
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::invalid_argument);
}

TEST_CASE("oauth/tls: the discovery cache answers without the server") {
  auto server = std::make_unique<tlstest::TlsServer>();
  REQUIRE(server->started());
  const std::string issuer = server->url("/oidc");
  auto results = tlstest::run([](std::string issuer, std::unique_ptr<tlstest::TlsServer>& srv)
                                  -> boost::asio::awaitable<std::vector<bool>> {
    Client client(co_await boost::asio::this_coro::executor, trusted());
    DiscoveryCache cache(client);
    std::vector<bool> ok;
    ok.push_back((co_await cache.get(issuer)).ok());
    srv.reset();  // server gone: only the cache can answer now
    ok.push_back((co_await cache.get(issuer + "/")).ok());
    cache.forget(issuer);
    ok.push_back((co_await cache.get(issuer)).ok());
    co_return ok;
  }(issuer, server));
  CHECK(results == std::vector<bool>{true, true, false});
}

TEST_CASE("oauth/tls: refresh success, invalid_grant, 503 with Retry-After, echoed secret, bad JSON") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  auto refresh = [&](std::string token) {
    return with_client([&](Client& c) {
      return refresh_tokens(c, {.token_endpoint = server.url("/token"), .client_id = "cli", .refresh_token = token, .scope = ""});
    });
  };
  auto tokens = refresh("good");
  REQUIRE(tokens.ok());
  CHECK(tokens->access_token == "at-new");
  CHECK(tokens->refresh_token == std::optional<std::string>("rt-rotated"));
  CHECK(tokens->expires_in == std::optional(60s));

  tokens = refresh("revoked");
  REQUIRE_FALSE(tokens.ok());
  CHECK(tokens.error().code == ErrorCode::login_required);
  CHECK(tokens.error().oauth_error == "invalid_grant");
  CHECK(contains(tokens.error().message, "token refresh at " + server.url("/token") + " was refused"));

  tokens = refresh("busy");
  REQUIRE_FALSE(tokens.ok());
  CHECK(tokens.error().code == ErrorCode::server_error);
  CHECK(tokens.error().retry_after == std::optional(3s));

  tokens = refresh("echo");  // the server puts the refresh token into error_description
  REQUIRE_FALSE(tokens.ok());
  CHECK(tokens.error().code == ErrorCode::invalid_argument);
  CHECK_FALSE(contains(tokens.error().message, "bad token echo"));
  CHECK(contains(tokens.error().message, "bad token …"));
  CHECK_FALSE(contains(tokens.error().message, "\x1b"));

  tokens = refresh("badjson");
  REQUIRE_FALSE(tokens.ok());
  CHECK(tokens.error().code == ErrorCode::server_error);
  CHECK(contains(tokens.error().message, "malformed answer"));

  auto unreachable = with_client([&](Client& c) {
    return refresh_tokens(c, {.token_endpoint = "https://127.0.0.1:1/token", .client_id = "c", .refresh_token = "good", .scope = ""});
  });
  REQUIRE_FALSE(unreachable.ok());
  CHECK(unreachable.error().code == ErrorCode::network);
  CHECK(contains(unreachable.error().message, "token refresh at https://127.0.0.1:1/token failed: cannot connect"));
}

TEST_CASE("oauth/tls: code exchange with PKCE yields tokens and the ID token's e-mail") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  auto tokens = with_client([&](Client& c) {
    return exchange_code(c, {.token_endpoint = server.url("/token"), .client_id = "cli", .code = "code-1",
                             .code_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                             .redirect_uri = "http://127.0.0.1:5555/callback"});
  });
  REQUIRE(tokens.ok());
  CHECK(tokens->refresh_token == std::optional<std::string>("rt-1"));
  CHECK(email_from_id_token(tokens->id_token) == std::optional<std::string>("user@example.com"));
}

TEST_CASE("oauth/tls: device login start and every poll outcome") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  auto device = with_client([&](Client& c) {
    return start_device_authorization(c, {.device_authorization_endpoint = server.url("/device"), .client_id = "cli", .scope = "openid"});
  });
  REQUIRE(device.ok());
  CHECK(device->user_code == "ABCD-EFGH");
  CHECK(device->interval == kDefaultDeviceInterval);
  CHECK(device->verification_uri == server.url("/activate"));

  auto poll = [&](std::string code) {
    return with_client([&](Client& c) {
      return poll_device_token(c, {.token_endpoint = server.url("/token"), .client_id = "cli", .device_code = code});
    });
  };
  const std::pair<const char*, DevicePollState> cases[] = {{"pending", DevicePollState::pending},
                                                           {"slow", DevicePollState::slow_down},
                                                           {"expired", DevicePollState::expired_token},
                                                           {"denied", DevicePollState::access_denied},
                                                           {"done", DevicePollState::success}};
  for (const auto& [code, state] : cases) {
    CAPTURE(code);
    auto result = poll(code);
    REQUIRE(result.ok());
    CHECK(result->state == state);
    CHECK(result->tokens.has_value() == (state == DevicePollState::success));
  }
}

TEST_CASE("oauth/tls: revocation and userinfo") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  auto revoked = with_client([&](Client& c) {
    return revoke_token(c, {.revocation_endpoint = server.url("/revoke"), .client_id = "cli", .token = "rt", .hint = TokenTypeHint::refresh_token});
  });
  CHECK(revoked.ok());
  auto email = with_client([&](Client& c) { return fetch_userinfo_email(c, server.url("/userinfo"), "good"); });
  REQUIRE(email.ok());
  CHECK(*email == "user@example.com");
  email = with_client([&](Client& c) { return fetch_userinfo_email(c, server.url("/userinfo"), "stale-access-token"); });
  REQUIRE_FALSE(email.ok());
  CHECK(email.error().code == ErrorCode::permission_denied);
  CHECK(email.error().oauth_error == "invalid_token");
  CHECK_FALSE(contains(email.error().message, "stale-access-token"));
}
