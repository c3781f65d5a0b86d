// CLI connect answers as the platform (and its Python CLI) spells them: both spellings of the start
// answer, the poll statuses, expires_at in any offset or missing (one hour), FastAPI errors.
#include <doctest/doctest.h>

#include "agentd/kinds/fluxloop/cli_connect.hpp"
#include "agentd/kinds/registry.hpp"
#include "agentd/tokens/clock.hpp"

using namespace agentd::kinds::fluxloop;
using namespace std::chrono_literals;

TEST_CASE("cli connect: the start answer in both spellings, defaults when absent") {
  auto plain = parse_start(R"({"device_code":"d","user_code":"ABCD-EFGH","verification_url":"https://x/c","expires_in":300,"interval":2})");
  REQUIRE(plain.ok());
  CHECK(plain->expires_in == 300s);
  CHECK(plain->interval == 2s);
  auto sec = parse_start(R"({"device_code":"d","user_code":"u","verification_url":"https://x/c","expires_in_sec":120,"interval_sec":3})");
  REQUIRE(sec.ok());
  CHECK(sec->expires_in == 120s);
  CHECK(sec->interval == 3s);
  auto bare = parse_start(R"({"device_code":"d","user_code":"u","verification_url":"https://x/c"})");
  REQUIRE(bare.ok());
  CHECK(bare->interval == kDefaultInterval);
  CHECK(bare->expires_in == kDefaultExpiresIn);
  // A zero interval would poll in a loop: at least one second.
  CHECK(parse_start(R"({"device_code":"d","user_code":"u","verification_url":"https://x/c","interval":0})")->interval == 1s);
  CHECK_FALSE(parse_start(R"({"user_code":"u","verification_url":"https://x/c"})").ok());
  CHECK_FALSE(parse_start("not json").ok());
}

TEST_CASE("cli connect: poll statuses and the credential's expiry") {
  const auto now = agentd::tokens::parse_rfc3339("2026-12-04T18:00:00Z").value();
  CHECK(parse_complete(R"({"status":"pending"})", now)->status == Status::pending);
  CHECK(parse_complete(R"({"status":"denied"})", now)->status == Status::denied);
  CHECK(parse_complete(R"({"status":"expired"})", now)->status == Status::expired);
  // Any other status, or an approval without a usable credential, ends the login (the platform CLI
  // raises at once); polling on would only wait out a code the platform may have spent.
  for (const char* answer : {R"({"status":"maybe"})", R"({"status":"approved"})",
                             R"({"status":"approved","credential":{"refresh_token":"r"}})"}) {
    CAPTURE(answer);
    auto poll = parse_complete(answer, now);
    REQUIRE_FALSE(poll.ok());
    CHECK(poll.error().code == proto::ErrorCode::login_required);
  }
  auto escaped = parse_complete("{\"status\":\"x\\u001b[2Jy\"}", now);
  REQUIRE_FALSE(escaped.ok());
  CHECK(escaped.error().message.find('\x1b') == std::string::npos);
  CHECK(parse_complete(R"({"status":"approved"})", now).error().message.find("without a credential") != std::string::npos);

  auto z = parse_complete(R"({"status":"approved","credential":{"access_token":"a","refresh_token":"r",
      "expires_at":"2026-12-04T18:30:00Z","user_id":"u-1","user_email":"e@x"}})", now);
  REQUIRE(z.ok());
  CHECK(z->status == Status::approved);
  CHECK(z->credential.expires_in == 1800s);
  CHECK(z->credential.user_id == "u-1");
  CHECK(z->credential.user_email == "e@x");
  // An integer user id (ids are opaque) is kept as its decimal text.
  auto numeric = parse_credential_answer(R"({"credential":{"access_token":"a","user_id":4711}})", now);
  REQUIRE(numeric.ok());
  CHECK(numeric->user_id == "4711");
  // Python's isoformat(): microseconds and +00:00, or no offset at all (UTC).
  auto python = parse_credential_answer(R"({"credential":{"access_token":"a","expires_at":"2026-12-04T18:10:00.123456+00:00"}})", now);
  REQUIRE(python.ok());
  CHECK(python->expires_in == 600s);
  auto naive = parse_credential_answer(R"({"credential":{"access_token":"a","expires_at":"2026-12-04T19:00:00"}})", now);
  REQUIRE(naive.ok());
  CHECK(naive->expires_in == 3600s);
  auto missing = parse_credential_answer(R"({"credential":{"access_token":"a","refresh_token":"r"}})", now);
  REQUIRE(missing.ok());
  CHECK(missing->expires_in == kDefaultLifetime);
  CHECK(missing->expires_in == 3600s);
  CHECK_FALSE(parse_credential_answer(R"({"credential":{"refresh_token":"r"}})", now).ok());
  // An expires_at that is not a date counts as absent: the credential is kept, for one hour.
  auto odd = parse_credential_answer(R"({"credential":{"access_token":"a","expires_at":"soon"}})", now);
  REQUIRE(odd.ok());
  CHECK(odd->expires_in == kDefaultLifetime);
  auto approved_odd = parse_complete(R"({"status":"approved","credential":{"access_token":"a","expires_at":12}})", now);
  REQUIRE(approved_odd.ok());
  CHECK(approved_odd->credential.expires_in == kDefaultLifetime);
}

TEST_CASE("cli connect: FastAPI errors map to login required or retry, the secret masked") {
  agentd::http::Response refused;
  refused.status = 401;
  refused.body = R"({"detail":"Invalid refresh token flx_refresh_abcdef0123456789"})";
  auto error = map_error(refused, "refresh", "flx_refresh_abcdef0123456789");
  CHECK(error.code == proto::ErrorCode::login_required);
  CHECK(error.message.find("flx_refresh_abcdef0123456789") == std::string::npos);
  CHECK(error.message.find("Invalid refresh token") != std::string::npos);
  agentd::http::Response bad;
  bad.status = 400;
  CHECK(map_error(bad, "refresh", "").code == proto::ErrorCode::login_required);
  agentd::http::Response busy;
  busy.status = 429;
  CHECK(map_error(busy, "refresh", "").code == proto::ErrorCode::server_error);
  busy.status = 503;
  CHECK(map_error(busy, "refresh", "").code == proto::ErrorCode::server_error);
}

TEST_CASE("profile kinds: configured kind wins, else the credentials tell") {
  using agentd::kinds::kind_of;
  agentd::config::Profile oidc;
  oidc.kind = proto::ProfileKind::oidc;
  CHECK(kind_of(&oidc, nullptr) == proto::ProfileKind::oidc);
  agentd::store::Credentials imported;
  imported.issuer = "https://issuer";
  CHECK(kind_of(nullptr, &imported) == proto::ProfileKind::oidc);
  agentd::store::Credentials platform_cli;  // the platform CLI's auth.json: no issuer
  platform_cli.access_token = "a";
  CHECK(kind_of(nullptr, &platform_cli) == proto::ProfileKind::fluxloop);
  CHECK(kind_of(nullptr, nullptr) == proto::ProfileKind::fluxloop);
}
