// The agent's in-memory view of every profile's credentials: what get_token answers from.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agentd/store/credentials.hpp"
#include "agentd/tokens/clock.hpp"

namespace agentd::tokens {

struct Entry {
  store::Credentials credentials;
  std::optional<BootClock::time_point> expires;  // access token expiry on the boot clock
  std::string last_error;                        // why the last refresh failed, for `auth status`
  bool login_required = false;                   // the refresh token was refused: only a login helps

  // True when the access token exists and stays valid for at least `min_valid` more.
  bool valid_for(std::chrono::seconds min_valid) const;
};

class TokenCache {
 public:
  // Replaces a profile's entry; the expiry is computed from credentials.expires_at as seen now.
  Entry& put(const std::string& profile, store::Credentials credentials);
  void erase(const std::string& profile) { entries_.erase(profile); }
  Entry* find(const std::string& profile);
  const std::map<std::string, Entry>& entries() const { return entries_; }
  void clear() { entries_.clear(); }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace agentd::tokens
