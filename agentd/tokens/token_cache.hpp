// The agent's in-memory view of every profile's credentials: what get_token answers from.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agentd/store/credentials.hpp"
#include "agentd/tokens/clock.hpp"
#include "proto/secure_memory.hpp"

namespace agentd::tokens {

struct Entry {
  store::Credentials credentials;
  std::optional<BootClock::time_point> expires;  // access token expiry on the boot clock
  std::string last_error;                        // why the last refresh failed, for `auth status`
  bool login_required = false;                   // the refresh token was refused: only a login helps
  std::uint64_t generation = 0;                  // set by TokenCache::put, never reused: tells entries apart
  // get_token's encoded reply (agentd/tokens/token_reply.hpp): secure memory, built on first use,
  // valid for `reply_expires`; wiped and freed with the entry or by TokenCache::drop_replies.
  proto::SecureString reply;
  std::optional<BootClock::time_point> reply_expires;
  bool reply_valid = false;

  // True when the access token exists and stays valid for at least `min_valid` more.
  bool valid_for(std::chrono::seconds min_valid) const;
};

// The cache's map, its nodes (each Entry, and the small-string buffers inside it) in secure memory:
// never in a core file, locked in RAM where RLIMIT_MEMLOCK allows (proto/secure_memory.hpp).
using EntryMap = std::map<std::string, Entry, std::less<>, proto::SecureAllocator<std::pair<const std::string, Entry>>>;

class TokenCache {
 public:
  // Replaces a profile's entry; the expiry is computed from credentials.expires_at as seen now. The
  // new entry gets a generation no entry of this cache had before.
  Entry& put(const std::string& profile, store::Credentials credentials);
  void erase(const std::string& profile) { entries_.erase(profile); }
  Entry* find(std::string_view profile);
  const EntryMap& entries() const { return entries_; }
  void clear() { entries_.clear(); }
  // Wipes and frees every entry's encoded get_token reply (the agent locks: no token bytes kept
  // beyond the credentials themselves).
  void drop_replies() noexcept;

 private:
  EntryMap entries_;
  std::uint64_t generations_ = 0;
};

}  // namespace agentd::tokens
