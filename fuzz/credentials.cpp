// The credentials-file parser (agentd/store/credentials.*), both shapes of CONTRACT.md: what
// `auth import` reads from any file the user names and the file store reads back. Built twice: as
// `credentials` and as `auth_json`, whose corpus holds the platform CLI's auth.json shape
// ({"access_token","refresh_token","expires_at","user_id","user_email"}) until a dedicated parser exists.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agentd/store/credentials.hpp"
#include "agentd/tokens/clock.hpp"
#include "fuzz/check.hpp"

using agentd::store::parse_credentials;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_credentials(text, "production");
  if (!parsed) {
    FUZZ_CHECK(fuzz::printable_message(parsed.error().message));
    return 0;
  }
  for (const auto& [name, credentials] : parsed->profiles) {
    (void)agentd::tokens::parse_rfc3339(credentials.expires_at);
    (void)agentd::tokens::parse_rfc3339(credentials.forget_at);
    // A keyring item holds one profile: it must come back unchanged.
    auto item = parse_credentials(agentd::store::serialize_profile(credentials), name);
    FUZZ_CHECK(item.ok());
    FUZZ_CHECK(item->profiles.size() == 1 && item->profiles.begin()->second == credentials);
  }
  // What the file store writes must read back as what it was given.
  auto again = parse_credentials(agentd::store::serialize_credentials(*parsed), "unused");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->default_profile == parsed->default_profile);
  FUZZ_CHECK(again->profiles == parsed->profiles);
  return 0;
}
