// The token cache keeps its entries on do-not-dump pages (proto/secure_memory.hpp).
#include <doctest/doctest.h>

#include <sys/prctl.h>

#include "agentd/tokens/token_cache.hpp"
#include "tests/unit/proto/smaps.hpp"

TEST_CASE("token cache: entries live on pages marked not to be dumped") {
  agentd::tokens::TokenCache cache;
  agentd::store::Credentials credentials;
  credentials.access_token = "flx_short";  // short: a SecureText stores it in the secure pool all the same
  credentials.refresh_token = "flx_refresh_0123456789abcdef0123456789";
  auto& entry = cache.put("production", std::move(credentials));
  CHECK(smaps::has_flag(smaps::vm_flags_of(&entry), "dd"));
  CHECK(smaps::has_flag(smaps::vm_flags_of(entry.credentials.access_token.data()), "dd"));
  REQUIRE(cache.find("production") == &entry);
  cache.erase("production");
  CHECK(cache.find("production") == nullptr);
}
