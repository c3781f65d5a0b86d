// The agent's in-memory view of every profile's credentials: what get_token answers from.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agentd/store/credentials.hpp"
#include "agentd/tokens/clock.hpp"
#include "proto/secure_memory.hpp"

namespace agentd::tokens {

struct Entry {
  store::Credentials credentials;
  std::optional<BootClock::time_point> expires;  // access token expiry on the boot clock
  std::string last_error;                        // why the last refresh failed, for `auth status`
  bool login_required = false;                   // the refresh token was refused: only a login helps

  // True when the access token exists and stays valid for at least `min_valid` more.
  bool valid_for(std::chrono::seconds min_valid) const;
};

// The cache's map, its nodes (each Entry, and the small-string buffers inside it) in secure memory:
// never in a core file, locked in RAM where RLIMIT_MEMLOCK allows (proto/secure_memory.hpp).
using EntryMap = std::map<std::string, Entry, std::less<>, proto::SecureAllocator<std::pair<const std::string, Entry>>>;

class TokenCache {
 public:
  // Replaces a profile's entry; the expiry is computed from credentials.expires_at as seen now.
  Entry& put(const std::string& profile, store::Credentials credentials);
  void erase(const std::string& profile) { entries_.erase(profile); }
  Entry* find(const std::string& profile);
  const EntryMap& entries() const { return entries_; }
  void clear() { entries_.clear(); }

 private:
  EntryMap entries_;
};

}  // namespace agentd::tokens
