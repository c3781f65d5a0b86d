// store::Credentials keeps its secrets (access_token, refresh_token, api_key) in secure memory:
// pages marked "do not dump" (VmFlags dd in /proc/self/smaps), wherever the Credentials object lives.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "agentd/store/credentials.hpp"
#include "tests/unit/proto/smaps.hpp"

namespace {

bool on_secure_pages(const proto::SecureText& secret) {
  return smaps::has_flag(smaps::vm_flags_of(secret.data()), "dd");
}

}  // namespace

TEST_CASE("credentials: long and short token bytes live on pages marked not to be dumped") {
  const std::string access = "flx_at_" + std::string(120, 'a');
  const std::string refresh = "flx_rt_" + std::string(60, 'r');
  const std::string api_key = "flx_api_0123456789abcdef0123456789abcdef";

  // The object itself on the ordinary heap (a vector's element): its secrets still are not.
  std::vector<agentd::store::Credentials> held(1);
  auto& c = held.front();
  c.access_token = access;
  c.refresh_token = std::string(refresh);  // an ordinary string moved in is wiped
  c.api_key = api_key;
  c.user_email = "user@example.com";
  CHECK_FALSE(smaps::has_flag(smaps::vm_flags_of(&c), "dd"));  // the check tells heap from secure pages
  CHECK(on_secure_pages(c.access_token));
  CHECK(on_secure_pages(c.refresh_token));
  CHECK(on_secure_pages(c.api_key));
  CHECK(c.access_token == access);
  CHECK(c.refresh_token == refresh);

  // A copy, a move and a short value (one that would fit a std::string's small-string buffer).
  agentd::store::Credentials copy = c;
  CHECK(copy == c);
  CHECK(copy.access_token.data() != c.access_token.data());
  CHECK(on_secure_pages(copy.access_token));
  agentd::store::Credentials moved = std::move(copy);
  CHECK(on_secure_pages(moved.refresh_token));
  moved.access_token = "flx_short";
  CHECK(on_secure_pages(moved.access_token));

  // Parsed from a credentials file and written back.
  const std::string text = R"({"access_token": ")" + access + R"(", "refresh_token": ")" + refresh + R"(", "api_key": "k"})";
  auto parsed = agentd::store::parse_credentials(text, "production");
  REQUIRE(parsed.ok());
  const auto& p = parsed->profiles.at("production");
  CHECK(p.access_token == access);
  CHECK(on_secure_pages(p.access_token));
  CHECK(on_secure_pages(p.refresh_token));
  CHECK(on_secure_pages(p.api_key));
  auto again = agentd::store::parse_credentials(agentd::store::serialize_profile(p), "production");
  REQUIRE(again.ok());
  CHECK(again->profiles.at("production") == p);
}
