// Usage figures per credential: per profile, and per API key a client handed to the agent (masked).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/messages.hpp"

namespace agentd::audit {

// Entries kept per kind; past it the least recently used entry goes (a client may send any number
// of profile names or keys, and the table must stay bounded).
inline constexpr std::size_t kMaxUsageEntries = 256;

enum class CredentialKind { profile, api_key };
enum class Outcome { ok, failed };

struct Figures {
  std::optional<std::chrono::system_clock::time_point> last_used;
  std::int64_t requests = 0;
  std::int64_t failures = 0;
};

class UsageTable {
 public:
  explicit UsageTable(std::size_t max_entries = kMaxUsageEntries) : max_entries_(max_entries) {}

  // Counts one use of credential `name` (a profile name, or a masked key — never a secret) at `when`.
  void record(CredentialKind kind, std::string_view name, std::chrono::system_clock::time_point when, Outcome outcome);
  // The figures of one credential, or nullptr when it was never used.
  const Figures* find(CredentialKind kind, std::string_view name) const;
  // Every credential's figures: profiles first, then keys, each sorted by name.
  std::vector<proto::Usage> snapshot() const;
  std::size_t size() const noexcept { return profiles_.size() + keys_.size(); }

 private:
  using Table = std::map<std::string, Figures, std::less<>>;
  Table& table(CredentialKind kind) { return kind == CredentialKind::profile ? profiles_ : keys_; }
  const Table& table(CredentialKind kind) const { return kind == CredentialKind::profile ? profiles_ : keys_; }

  std::size_t max_entries_;
  Table profiles_;
  Table keys_;
};

}  // namespace agentd::audit
