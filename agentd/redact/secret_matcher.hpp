// Exact multi-string search for the secrets the agent holds (Aho-Corasick over bytes): one pass over
// the text finds every occurrence of every secret, whatever their number.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace agentd::redact {

// One occurrence: text[begin, end) equals secret number `secret` (its index in the constructor's list).
struct SecretMatch {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t secret = 0;
};

class SecretMatcher {
 public:
  // Builds the automaton for `secrets` (empty strings are ignored). The matcher keeps no copy of the
  // strings themselves, and wipes its transition tables (which spell them) when destroyed.
  explicit SecretMatcher(const std::vector<std::string_view>& secrets);
  ~SecretMatcher();
  SecretMatcher(const SecretMatcher&) = delete;
  SecretMatcher& operator=(const SecretMatcher&) = delete;

  // Appends, for each end position in `text`, the longest secret ending there (shorter secrets ending
  // at the same place are suffixes of it, so masking the longest covers them). In text order.
  void find(std::string_view text, std::vector<SecretMatch>& out) const;
  // Length of the longest secret (0 without secrets).
  std::size_t longest() const { return longest_; }
  bool empty() const { return longest_ == 0; }

 private:
  struct Edge {
    unsigned char byte;
    std::uint32_t to;
  };
  struct Node {
    std::vector<Edge> edges;     // sorted by byte; few per node (secrets are random strings)
    std::uint32_t fail = 0;      // longest proper suffix that is also a trie node
    std::int32_t report = -1;    // longest secret that is a suffix of this node's string, or -1
    std::uint32_t report_length = 0;  // that secret's length
    std::uint32_t depth = 0;
  };
  std::uint32_t child(std::uint32_t node, unsigned char byte) const;  // kNone when absent
  std::uint32_t step(std::uint32_t node, unsigned char byte) const;

  std::vector<Node> nodes_;                  // nodes_[0] is the root
  std::array<std::uint32_t, 256> root_{};    // root transitions, dense: most bytes are read at the root
  std::size_t longest_ = 0;
};

}  // namespace agentd::redact
