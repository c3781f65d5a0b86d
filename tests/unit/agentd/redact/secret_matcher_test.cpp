// SecretMatcher (Aho-Corasick) against a naive search, on a small alphabet where secrets overlap,
// share prefixes and contain each other.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "agentd/redact/secret_matcher.hpp"

using agentd::redact::SecretMatch;
using agentd::redact::SecretMatcher;

namespace {

// For each end position, the longest secret ending there (first index among equal values).
std::vector<SecretMatch> naive(const std::vector<std::string>& secrets, const std::string& text) {
  std::vector<SecretMatch> out;
  for (std::size_t end = 1; end <= text.size(); ++end) {
    std::size_t best = 0, best_index = 0;
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      const auto& s = secrets[i];
      if (s.empty() || s.size() > end || s.size() <= best) continue;
      if (text.compare(end - s.size(), s.size(), s) == 0) best = s.size(), best_index = i;
    }
    if (best > 0) out.push_back({end - best, end, best_index});
  }
  return out;
}

}  // namespace

TEST_CASE("secret matcher: equals a naive search on random overlapping secrets") {
  std::mt19937 rng(1234);
  auto random_string = [&](std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('a' + rng() % 3);
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> secrets;
    const std::size_t count = 1 + rng() % 6;
    for (std::size_t i = 0; i < count; ++i) secrets.push_back(random_string(1 + rng() % 6));
    if (round % 7 == 0) secrets.push_back(secrets.front());  // a duplicate keeps its first index
    const std::string text = random_string(200);
    std::vector<std::string_view> views(secrets.begin(), secrets.end());
    SecretMatcher matcher(views);
    std::vector<SecretMatch> found;
    matcher.find(text, found);
    const auto expected = naive(secrets, text);
    REQUIRE(found.size() == expected.size());
    for (std::size_t i = 0; i < found.size(); ++i) {
      CHECK(found[i].begin == expected[i].begin);
      CHECK(found[i].end == expected[i].end);
      CHECK(secrets[found[i].secret] == secrets[expected[i].secret]);
    }
  }
}

TEST_CASE("secret matcher: no secrets, empty secrets, bytes above 0x7f") {
  SecretMatcher none({});
  std::vector<SecretMatch> found;
  none.find("anything", found);
  CHECK(found.empty());
  CHECK(none.longest() == 0);

  const std::string high("\xff\x80\x00z", 4);
  SecretMatcher matcher({"", high});
  CHECK(matcher.longest() == 4);
  const std::string text = std::string("ab") + high + "\xff";
  matcher.find(text, found);
  REQUIRE(found.size() == 1);
  CHECK(found[0].begin == 2);
  CHECK(found[0].end == 6);
  CHECK(found[0].secret == 1);
}
