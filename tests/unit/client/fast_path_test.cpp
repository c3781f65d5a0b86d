#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "client/cli.hpp"
#include "client/fast_path.hpp"

namespace {

struct Argv {
  explicit Argv(std::vector<std::string> words) : storage(std::move(words)) {
    storage.insert(storage.begin(), "fluxloop");
    for (auto& w : storage) pointers.push_back(w.data());
    pointers.push_back(nullptr);
  }
  int argc() { return static_cast<int>(storage.size()); }
  char** argv() { return pointers.data(); }
  std::vector<std::string> storage;
  std::vector<char*> pointers;
};

std::optional<client::AuthTokenOptions> fast(std::vector<std::string> words) {
  Argv a(std::move(words));
  return client::fast_auth_token(a.argc(), a.argv());
}

// The property that matters: whenever the fast path takes argv, the full parser runs `auth token`
// with exactly the same options.
void check_agrees(std::vector<std::string> words) {
  Argv a(words), b(words);
  auto quick = client::fast_auth_token(a.argc(), a.argv());
  if (!quick) return;  // falls through to the full parser: always safe
  auto full = client::parse_auth_token(b.argc(), b.argv());
  std::string shown;
  for (auto& w : words) shown += " " + w;
  REQUIRE_MESSAGE(full, "fast path took" << shown << " but the full parser does not run auth token");
  CHECK_MESSAGE(quick->profile == full->profile, shown);
  CHECK_MESSAGE(quick->api_key == full->api_key, shown);
  CHECK_MESSAGE(quick->min_valid == full->min_valid, shown);
}

}  // namespace

TEST_CASE("fast path: auth token and auth token --profile P are taken") {
  REQUIRE(fast({"auth", "token"}));
  CHECK(fast({"auth", "token"})->profile.empty());
  CHECK(fast({"auth", "token", "--profile", "prod"})->profile == "prod");
  CHECK(fast({"auth", "token", "--profile=prod"})->profile == "prod");
  CHECK(fast({"auth", "token", "--profile", "token"})->profile == "token");
  CHECK(fast({"auth", "token", "--profile", "a b"})->profile == "a b");
}

TEST_CASE("fast path: everything else falls through to the full parser") {
  for (const auto& words : std::vector<std::vector<std::string>>{
           {},
           {"auth"},
           {"token"},
           {"auth", "status"},
           {"auth", "token", "extra"},
           {"auth", "token", "--help"},
           {"auth", "token", "-h"},
           {"auth", "token", "--version"},
           {"auth", "token", "--profile"},
           {"auth", "token", "--profile", ""},
           {"auth", "token", "--profile="},
           {"auth", "token", "--profile", "-x"},
           {"auth", "token", "--profile", "--help"},
           {"auth", "token", "--profile", "p", "--profile", "q"},
           {"auth", "token", "--profile", "p", "extra"},
           {"auth", "token", "--unknown"},
           {"auth", "token", "--min-valid", "60"},
           {"auth", "token", "--api-key", "flx_api_x"},
           {"auth", "token", "--prof", "p"},
           {"auth", "token", "--Profile", "p"},
           {"auth", "token", "-p", "p"},
           {"--profile", "p", "auth", "token"},
           {"auth", "--profile", "p", "token"},
           {"Auth", "token"},
           {"auth", "token", "--"},
           {"auth", "token", "--", "x"},
       }) {
    std::string shown;
    for (auto& w : words) shown += " " + w;
    CHECK_MESSAGE(!fast(words), shown);
  }
}

TEST_CASE("fast path: agrees with the full parser on argv edge cases") {
  for (const auto& words : std::vector<std::vector<std::string>>{
           {"auth", "token"},
           {"auth", "token", "--profile", "prod"},
           {"auth", "token", "--profile=prod"},
           {"auth", "token", "--profile", "token"},
           {"auth", "token", "--profile", "status"},
           {"auth", "token", "--profile", "auth"},
           {"auth", "token", "--profile", "a b"},
           {"auth", "token", "--profile", "=x"},
           {"auth", "token", "--profile=a=b"},
           {"auth", "token", "--profile", "--help"},
           {"auth", "token", "extra"},
           {"auth", "token", "--help"},
           {"auth", "token", "--unknown"},
           {"auth", "token", "--profile", ""},
       }) {
    check_agrees(words);
  }
  // The full parser really does run auth token for the forms the fast path takes.
  Argv a({"auth", "token", "--profile", "prod"});
  auto full = client::parse_auth_token(a.argc(), a.argv());
  REQUIRE(full);
  CHECK(full->profile == "prod");
  Argv b({"auth", "token", "extra"});
  CHECK_FALSE(client::parse_auth_token(b.argc(), b.argv()));
}
