// `fluxloop api METHOD PATH` against the platform emulator through a real agent: the body on stdout,
// the exit code by status, scopes named on a 403, refresh-once on a 401, Retry-After, the
// FLUXLOOP_API_ENDPOINT override and client-side validation. No credential reaches a log or stderr.
#include "tests/integration/apikeys_common.hpp"

using namespace apikeystest;

TEST_CASE("api: a read key may GET but a POST exits 5 naming the scope, a revoked key exits 3") {
  Setup s;
  auto& f = s.agent;
  const NewKey read = create_key(f, "reader", {"--scope", "read"});

  auto get = f.client({"api", "GET", "/v1/echo?x=1"}, {}, {{"FLUXLOOP_API_KEY", read.key}});
  REQUIRE_MESSAGE(get.exit_code == 0, get.err);
  const auto echoed = json::parse(get.out);
  CHECK(echoed["credential"] == "api_key");
  CHECK(echoed["scope"] == "read");
  CHECK(echoed["query"] == "x=1");

  for (const auto& via : {std::string("env"), std::string("flag")}) {
    CAPTURE(via);
    std::vector<std::string> args{"api", "POST", "/v1/echo", "--data", R"({"a": 1})"};
    Env env;
    if (via == "flag") args.insert(args.end(), {"--api-key", read.key});
    else env["FLUXLOOP_API_KEY"] = read.key;
    auto post = f.client(args, {}, env);
    CHECK(post.exit_code == 5);
    CHECK(contains(post.err, "Permission denied"));
    CHECK(contains(post.err, "'write' scope"));
    CHECK(json::parse(post.out)["error"] == "insufficient_scope");  // the body, like gh api
    CHECK_FALSE(contains(post.err, read.key));
  }

  // apikeys with the read key: key management needs an OAuth token or an admin key.
  auto manage = f.client({"apikeys", "create", "--name", "x"}, {}, {{"FLUXLOOP_API_KEY", read.key}});
  CHECK(manage.exit_code == 5);
  CHECK(contains(manage.err, "Permission denied"));

  raw_reply(f, proto::ApiKeyRevoke{.target = {}, .key_or_id = read.id});
  auto dead = f.client({"api", "GET", "/v1/me"}, {}, {{"FLUXLOOP_API_KEY", read.key}});
  CHECK(dead.exit_code == 3);
  CHECK(contains(dead.err, "revoked"));
  auto dead_manage = f.client({"apikeys", "list"}, {}, {{"FLUXLOOP_API_KEY", read.key}});
  CHECK(dead_manage.exit_code == 3);
  CHECK(contains(dead_manage.err, "Login required"));

  check_no_leak(f, {read.key, s.tokens.value("access_token", ""), s.tokens.value("refresh_token", "")},
                {get.err, manage.err, dead.err, dead_manage.err});
}

TEST_CASE("api: exit codes by status, POST bodies, refresh once on a 401, Retry-After and bad input") {
  Setup s;
  auto& f = s.agent;
  auto me = f.client({"api", "GET", "/v1/me"});
  REQUIRE_MESSAGE(me.exit_code == 0, me.err);
  CHECK(json::parse(me.out)["credential"] == "oauth");

  auto post = f.client({"api", "post", "/v1/projects", "--data", R"({"name": "demo"})"});
  REQUIRE_MESSAGE(post.exit_code == 0, post.err);
  const std::string id = json::parse(post.out).value("id", "");
  auto missing = f.client({"api", "GET", "/v1/projects/nope"});
  CHECK(missing.exit_code == 1);
  CHECK(json::parse(missing.out)["error"] == "not_found");
  auto removed = f.client({"api", "DELETE", "/v1/projects/" + id});
  CHECK(removed.exit_code == 0);
  CHECK(removed.out.empty());

  // The platform forgets the access token (server restart, revocation): refresh once, retry once.
  s.platform.admin("POST", "/_emulator/expire-all");
  auto refreshed = f.client({"api", "GET", "/v1/me"});
  CHECK_MESSAGE(refreshed.exit_code == 0, refreshed.err);
  CHECK(s.platform.stats()["refreshes_succeeded"] == 1);

  // A 429 with a short Retry-After is waited out; a 503 whose Retry-After passes the retry deadline
  // is reported at once (exit 6). More in platform_retry_test.cpp.
  s.platform.add_fault({{"kind", "429"}, {"retry_after", 1}, {"path_prefix", "/v1/me"}});
  auto waited = f.client({"api", "GET", "/v1/me"});
  CHECK_MESSAGE(waited.exit_code == 0, waited.err);
  s.platform.add_fault({{"kind", "503"}, {"retry_after", 3600}, {"path_prefix", "/v1/me"}});
  auto busy = f.client({"api", "GET", "/v1/me"});
  CHECK(busy.exit_code == 6);
  CHECK(contains(busy.err, "HTTP 503"));

  // The grant is revoked: the refresh fails too, so the 401 stands (exit 3).
  s.platform.admin("POST", "/_emulator/revoke-grants");
  auto gone = f.client({"api", "GET", "/v1/me"});
  CHECK(gone.exit_code == 3);

  // Validated by the client (usage, exit 2) before any request.
  CHECK(f.client({"api", "GET", "/v1/me", "--data", "{not json"}).exit_code == 2);
  CHECK(f.client({"api", "FETCH", "/v1/me"}).exit_code == 2);
  CHECK(f.client({"api", "GET", "v1/me"}).exit_code == 2);

  check_no_leak(f, {s.tokens.value("access_token", ""), s.tokens.value("refresh_token", "")},
                {me.err, post.err, refreshed.err, waited.err, busy.err, gone.err});
}

TEST_CASE("api: FLUXLOOP_API_ENDPOINT overrides the profile's endpoint, http:// is refused") {
  Setup s;
  auto& f = s.agent;
  // The profile's endpoint points nowhere: configured so before its credentials arrive, which are
  // then bound to it (a profile holding credentials cannot be re-pointed: credential_binding_test).
  REQUIRE(f.client({"profile", "remove", "production"}).exit_code == 0);
  auto added = f.client({"profile", "add", "production", "--issuer", s.platform.issuer(), "--client-id", "fluxloop-cli",
                         "--api-endpoint", "https://127.0.0.1:1"});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  s.tokens = s.platform.mint_tokens("fluxloop-cli");
  const std::string file = f.dir() + "/plain.json";
  testsupport::write_file(file, json{{"access_token", s.tokens["access_token"]},
                                     {"refresh_token", s.tokens["refresh_token"]},
                                     {"expires_at", testsupport::rfc3339_from_now(std::chrono::seconds(3600))}}
                                    .dump());
  REQUIRE(f.client({"auth", "import", file, "--profile", "production"}).exit_code == 0);
  auto offline = f.client({"api", "GET", "/v1/me"});
  CHECK(offline.exit_code == 6);

  auto overridden = f.client({"api", "GET", "/v1/me"}, {}, {{"FLUXLOOP_API_ENDPOINT", s.platform.issuer()}});
  REQUIRE_MESSAGE(overridden.exit_code == 0, overridden.err);
  CHECK(json::parse(overridden.out)["email"] == "user@example.com");

  const Env endpoint{{"FLUXLOOP_API_ENDPOINT", s.platform.issuer()}};
  auto listed = f.client({"apikeys", "list", "--json"}, {}, endpoint);
  CHECK_MESSAGE(listed.exit_code == 0, listed.err);

  auto insecure = f.client({"api", "GET", "/v1/me"}, {}, {{"FLUXLOOP_API_ENDPOINT", "http://127.0.0.1:1"}});
  CHECK(insecure.exit_code == 1);
  CHECK(contains(insecure.err, "http://"));
  check_no_leak(f, {s.tokens.value("access_token", ""), s.tokens.value("refresh_token", "")},
                {offline.err, overridden.err, listed.err, insecure.err});
}
