#include "agentd/tokens/token_cache.hpp"

namespace agentd::tokens {

bool Entry::valid_for(std::chrono::seconds min_valid) const {
  if (credentials.access_token.empty()) return false;
  // A token without a known expiry (an imported file without expires_at) is served as is: the
  // server will say invalid_token when it is not, and the agent refreshes then.
  if (!expires) return true;
  return BootClock::now() + min_valid < *expires;
}

Entry& TokenCache::put(const std::string& profile, store::Credentials credentials) {
  Entry entry;
  if (auto when = parse_rfc3339(credentials.expires_at)) entry.expires = to_boot_time(*when);
  entry.credentials = std::move(credentials);
  entry.generation = ++generations_;
  return entries_[profile] = std::move(entry);
}

void TokenCache::drop_replies() noexcept {
  for (auto& [_, entry] : entries_) {
    proto::wipe(entry.reply);
    proto::SecureString().swap(entry.reply);
    entry.reply_valid = false;
  }
}

Entry* TokenCache::find(std::string_view profile) {
  auto it = entries_.find(profile);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace agentd::tokens
