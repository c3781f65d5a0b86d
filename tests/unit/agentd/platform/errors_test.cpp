#include <doctest/doctest.h>

#include <array>

#include "agentd/platform/errors.hpp"

using namespace agentd::platform;
using agentd::http::Response;
using proto::ErrorCode;

namespace {

Response answer(int status, std::string body, std::string www_authenticate = {}) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  if (!www_authenticate.empty()) r.headers.emplace_back("WWW-Authenticate", std::move(www_authenticate));
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("platform errors: 403 insufficient_scope is permission_denied naming the scope") {
  const auto e = map_error(answer(403, R"({"error":"insufficient_scope","error_description":"this request needs the 'write' scope; the credential has 'read'"})",
                                  R"(Bearer realm="fluxloop", error="insufficient_scope", scope="write")"),
                           "POST /v1/echo", {CredentialKind::given, {}}, {});
  CHECK(e.code == ErrorCode::permission_denied);
  CHECK(e.message == "Permission denied: this request needs the 'write' scope; the credential has 'read'");

  // No description: the scope comes from WWW-Authenticate.
  const auto bare = map_error(answer(403, "", R"(Bearer error="insufficient_scope", scope="admin")"), "list API keys",
                              {CredentialKind::api_key, "ci"}, {});
  CHECK(bare.code == ErrorCode::permission_denied);
  CHECK(contains(bare.message, "needs the 'admin' scope"));
  // A description that does not name it gets the header's scope appended.
  const auto vague = map_error(answer(403, R"({"error":"insufficient_scope","error_description":"no"})", R"(Bearer scope="write")"),
                               "x", {}, {});
  CHECK(contains(vague.message, "'write'"));
}

TEST_CASE("platform errors: 401 is login_required with advice that fits the credential") {
  const auto body = R"({"error":"invalid_token","error_description":"the API key was revoked"})";
  const auto given = map_error(answer(401, body), "list API keys", {CredentialKind::given, {}}, {});
  CHECK(given.code == ErrorCode::login_required);
  CHECK(contains(given.message, "the API key was revoked"));
  CHECK(contains(given.message, "FLUXLOOP_API_KEY"));
  const auto key = map_error(answer(401, body), "x", {CredentialKind::api_key, "ci"}, {});
  CHECK(contains(key.message, "profile 'ci'"));
  const auto oauth = map_error(answer(401, body), "x", {CredentialKind::oauth, "prod"}, {});
  CHECK(contains(oauth.message, "fluxloop auth login --profile prod"));
}

TEST_CASE("platform errors: 404, 400, 429 and 5xx, echoed secrets are masked, bodies are never quoted") {
  CHECK(map_error(answer(404, R"({"error":"not_found"})"), "x", {}, {}).code == ErrorCode::not_found);
  CHECK(map_error(answer(400, R"({"error":"invalid_request"})"), "x", {}, {}).code == ErrorCode::invalid_argument);
  auto busy = answer(429, R"({"error":"rate_limited"})");
  busy.retry_after = std::chrono::seconds(7);
  const auto limited = map_error(busy, "x", {}, {});
  CHECK(limited.code == ErrorCode::server_error);
  CHECK(contains(limited.message, "retry after 7 s"));
  CHECK(map_error(answer(502, "<html>secret</html>"), "x", {}, {}).code == ErrorCode::server_error);
  CHECK_FALSE(contains(map_error(answer(502, "<html>secret</html>"), "x", {}, {}).message, "secret"));
  CHECK(map_error(answer(302, ""), "x", {}, {}).code == ErrorCode::server_error);

  const std::string key = "flx_api_0123456789abcdef0123456789abcdef";
  const std::array<std::string_view, 1> secrets{key};
  const auto echoed = map_error(answer(401, R"({"error":"invalid_token","error_description":"unknown key )" + key + R"("})"), "x",
                                {}, secrets);
  CHECK_FALSE(contains(echoed.message, key));
}

TEST_CASE("platform errors: scope from WWW-Authenticate only at a parameter boundary") {
  CHECK(scope_from_www_authenticate(R"(Bearer realm="fluxloop", scope="read-write")") == "read-write");
  CHECK(scope_from_www_authenticate(R"(Bearer error_scope="x")").empty());
  CHECK(scope_from_www_authenticate(R"(Bearer scope="unterminated)").empty());
  CHECK(scope_from_www_authenticate("").empty());
}

TEST_CASE("platform URLs: https endpoint plus a path, http, bad paths and endpoints with queries refused") {
  CHECK(*join_url("https://api.fluxloop.ai", "/v1/me") == "https://api.fluxloop.ai/v1/me");
  CHECK(*join_url("https://127.0.0.1:8443/base/", "/v1/echo?x=1") == "https://127.0.0.1:8443/base/v1/echo?x=1");
  const auto http = join_url("http://api.fluxloop.ai", "/v1/me");
  REQUIRE_FALSE(http.ok());
  CHECK(http.error().code == ErrorCode::invalid_argument);
  CHECK(contains(http.error().message, "http://"));
  CHECK_FALSE(join_url("https://api.fluxloop.ai", "v1/me").ok());
  CHECK_FALSE(join_url("https://api.fluxloop.ai", "/v1/a b").ok());
  CHECK_FALSE(join_url("https://api.fluxloop.ai", std::string("/v1/\n")).ok());
  CHECK_FALSE(join_url("https://api.fluxloop.ai?token=x", "/v1/me").ok());
  CHECK_FALSE(contains(join_url("https://api.fluxloop.ai?token=x", "/v1/me").error().message, "token=x"));
}
