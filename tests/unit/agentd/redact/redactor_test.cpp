// Redactor: held secrets, the built-in and custom patterns, and streaming across chunk boundaries.
// The "secrets" here are random-looking test strings, not real credentials.
#include <doctest/doctest.h>

#include <chrono>
#include <random>

#include "tests/unit/agentd/redact/redact_test_util.hpp"

using namespace redacttest;  // NOLINT(google-build-using-namespace)
using agentd::config::SanitizationPattern;

namespace {

const std::string kAccess = "flx_at_3f9a1c0b7d2e4f6a8b9c0d1e2f3a4b5c";
const std::string kRefresh = "flx_refresh_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
const std::string kOpaque = "Zq7Lm2Vx9Rt4Pw8Ks1Nd6Hy3Gb5Jc0Fa";  // matches no pattern: only the exact match masks it
// Only custom patterns that match nothing here: the held secrets alone are masked.
const std::vector<SanitizationPattern> kNoBuiltins = {{"nothing", "(?!)", ""}};

std::vector<HeldSecret> held() {
  return {{kAccess, "access_token"}, {kRefresh, "refresh_token"}, {kOpaque, "api_key"}};
}

}  // namespace

TEST_CASE("redact: every held secret is masked exactly, with a mask that reveals nothing") {
  auto r = make(held(), kNoBuiltins);
  const std::string in = "token=" + kAccess + " refresh:" + kRefresh + "\nkey " + kOpaque + kOpaque + ".\n";
  const std::string out = whole(*r, in);
  CHECK(out == "token=[REDACTED:access_token] refresh:[REDACTED:refresh_token]\nkey [REDACTED:api_key][REDACTED:api_key].\n");
  // A secret that is only partly present is not a held secret (and not masked by exact matching).
  const std::string partial = kOpaque.substr(0, kOpaque.size() - 1) + "\n";
  CHECK(whole(*r, partial) == partial);
  // Text without secrets passes unchanged.
  CHECK(whole(*r, "nothing to see here\n") == "nothing to see here\n");
}

TEST_CASE("redact: the longest secret wins where one is a prefix of another") {
  const std::string short_secret = "Zq7Lm2Vx9Rt4Pw8K";
  const std::string long_secret = short_secret + "s1Nd6Hy3Gb5Jc0Fa";
  auto r = make({{short_secret, "access_token"}, {long_secret, "refresh_token"}}, kNoBuiltins);
  CHECK(whole(*r, "a " + long_secret + " b " + short_secret + "X\n") ==
        "a [REDACTED:refresh_token] b [REDACTED:access_token]X\n");
}

TEST_CASE("redact: built-in email") {
  auto r = make({});
  CHECK(whole(*r, "mail ann.lee+ci@example.co.uk now") == "mail [REDACTED:email] now");
  CHECK(whole(*r, "<bob@mail.fluxloop.ai>") == "<[REDACTED:email]>");
  CHECK(whole(*r, "user@localhost and a@b and @handle") == "user@localhost and a@b and @handle");
}

TEST_CASE("redact: built-in api_key (flx_ keys and tokens)") {
  auto r = make({});
  CHECK(whole(*r, "k=flx_api_abc123DEF456ghi") == "k=[REDACTED:api_key]");
  CHECK(whole(*r, "flx_sa_0011223344 flx_at_zzzzzzzzzz flx_refresh_qqqqqqqqq") ==
        "[REDACTED:api_key] [REDACTED:api_key] [REDACTED:api_key]");
  CHECK(whole(*r, "Bearer flx_abcdefghijklmnopa1b2") == "Bearer [REDACTED:api_key]");
  // Too short to be a key, or a mere prefix inside another word.
  CHECK(whole(*r, "flx_api_x and flx_small and myflx_api_abcdefgh") == "flx_api_x and flx_small and myflx_api_abcdefgh");
}

TEST_CASE("redact: built-in phone, without eating dates, times, ids or versions") {
  auto r = make({});
  CHECK(whole(*r, "call +1 555 123 4567.") == "call [REDACTED:phone].");
  CHECK(whole(*r, "(555) 123-4567 or 555-123-4567 or 555.123.4567") ==
        "[REDACTED:phone] or [REDACTED:phone] or [REDACTED:phone]");
  CHECK(whole(*r, "+44 20 7946 0958, +4915112345678, 1-800-555-1234") ==
        "[REDACTED:phone], [REDACTED:phone], [REDACTED:phone]");
  const std::string harmless =
      "2024-11-02T10:00:00Z 12:30:45 id=1700000000 pid 12345 v1.2.3 10.0.0.1 ip 192.168.100.200 "
      "uuid 123e4567-e89b-12d3-a456-426614174000 +12 -3 diff +1234";
  CHECK(whole(*r, harmless) == harmless);
}

TEST_CASE("redact: custom patterns replace the built-ins, a built-in can be named with its own replacement") {
  auto r = make({}, {{"ticket", "JIRA-[0-9]+", "<ticket>"}, {"email", "", "<email>"}, {"ssn", R"(\b\d{3}-\d{2}-\d{4}\b)", ""}});
  CHECK(whole(*r, "JIRA-42 by ann@example.com ssn 123-45-6789 phone 555-123-4567 flx_api_abcdefghij") ==
        "<ticket> by <email> ssn [REDACTED:ssn] phone 555-123-4567 flx_api_abcdefghij");
}

TEST_CASE("redact: held secrets are masked whatever the patterns, and outrank an overlapping pattern") {
  auto r = make(held());  // default patterns: api_key also matches kAccess
  CHECK(whole(*r, kAccess + "\n") == "[REDACTED:access_token]\n");
  // An e-mail address that contains a secret: one masked span, nothing of either survives.
  const std::string out = whole(*r, "x " + kOpaque + "@example.com y");
  CHECK(out == "x [REDACTED:api_key] y");
}

TEST_CASE("redact: an invalid pattern is a clear error naming it") {
  auto bad = Redactor::create({}, {{"broken", "(unclosed", ""}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == proto::ErrorCode::invalid_argument);
  CHECK(bad.error().message.find("'broken'") != std::string::npos);
  CHECK(bad.error().message.find("offset") != std::string::npos);

  auto unknown = Redactor::create({}, {{"postcode", "", ""}});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("'postcode'") != std::string::npos);
  CHECK(unknown.error().message.find("built-in") != std::string::npos);

  auto long_replacement = Redactor::create({}, {{"x", "x", std::string(300, 'r')}});
  CHECK_FALSE(long_replacement.ok());
}

TEST_CASE("redact: a catastrophically backtracking custom pattern fails fast instead of hanging") {
  auto r = make({}, {{"evil", "(a+)+$", ""}});
  const std::string input = std::string(40, 'a') + "!";
  const auto started = std::chrono::steady_clock::now();
  auto chunk = r->redact(input, Final::yes);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(chunk.ok());
  CHECK(chunk.error().message.find("'evil'") != std::string::npos);
  CHECK(took < std::chrono::seconds(2));
}

TEST_CASE("redact: built_from tells a changed configuration from the one it was built with") {
  auto r = make(held());
  CHECK(r->built_from(held(), {}));
  CHECK(r->built_from(held(), agentd::redact::default_patterns()));
  CHECK_FALSE(r->built_from({{kAccess, "access_token"}}, {}));
  CHECK_FALSE(r->built_from({{kAccess, "refresh_token"}, {kRefresh, "access_token"}, {kOpaque, "api_key"}}, {}));
  CHECK_FALSE(r->built_from(held(), {{"email", "", ""}}));
}
