#include "agentd/audit/usage.hpp"

#include <algorithm>

#include "agentd/tokens/clock.hpp"

namespace agentd::audit {

void UsageTable::record(CredentialKind kind, std::string_view name, std::chrono::system_clock::time_point when,
                        Outcome outcome) {
  auto& entries = table(kind);
  auto it = entries.find(name);
  if (it == entries.end()) {
    if (entries.size() >= max_entries_) {
      // O(n) only when full and a new name arrives: rare, and n is small.
      auto oldest = std::min_element(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      entries.erase(oldest);
    }
    it = entries.emplace(std::string(name), Figures{}).first;
  }
  auto& figures = it->second;
  figures.last_used = when;
  ++figures.requests;
  if (outcome == Outcome::failed) ++figures.failures;
}

const Figures* UsageTable::find(CredentialKind kind, std::string_view name) const {
  const auto& entries = table(kind);
  auto it = entries.find(name);
  return it == entries.end() ? nullptr : &it->second;
}

std::vector<proto::Usage> UsageTable::snapshot() const {
  std::vector<proto::Usage> out;
  out.reserve(size());
  for (auto kind : {CredentialKind::profile, CredentialKind::api_key}) {
    for (const auto& [name, figures] : table(kind)) {
      proto::Usage usage;
      usage.name = name;
      usage.kind = kind == CredentialKind::profile ? proto::UsageKind::profile : proto::UsageKind::api_key;
      if (figures.last_used) usage.last_used = tokens::format_rfc3339(*figures.last_used);
      usage.requests = figures.requests;
      usage.failures = figures.failures;
      out.push_back(std::move(usage));
    }
  }
  return out;
}

}  // namespace agentd::audit
