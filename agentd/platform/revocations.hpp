// Pending revocations of rotated API keys (`apikeys rotate --grace`): each old key is revoked when its
// grace period ends. Kept in FLUXLOOP_HOME/rotations.json (0600, atomic replace) with wall-clock
// deadlines, so a restarted agent re-arms them and runs overdue ones at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "proto/result.hpp"

namespace agentd::platform {

inline constexpr std::string_view kRotationsFile = "rotations.json";
// After a failed revocation (offline, server trouble) the next attempt waits this long.
inline constexpr std::chrono::seconds kRevokeRetry{30};

struct PendingRevocation {
  std::string key_id;     // key_…: never the key itself (none is written to this file)
  std::string profile;    // the profile whose credential revokes it
  std::string revoke_at;  // RFC 3339 UTC
  bool operator==(const PendingRevocation&) const = default;
};

// The file's JSON ({"pending": [{"key_id", "profile", "revoke_at"}…]}) and back. Parsing refuses
// entries with a missing field, an unusable id (platform::is_key_id), or an unreadable time (store_error).
std::string serialize_revocations(const std::vector<PendingRevocation>& pending);
proto::Result<std::vector<PendingRevocation>> parse_revocations(std::string_view text);

class Revocations {
 public:
  using Clock = std::chrono::system_clock;
  // Revokes one key at the platform. Ok (also when the key is already gone) removes the entry;
  // an error keeps it for another attempt after kRevokeRetry.
  using Revoke = std::function<boost::asio::awaitable<proto::Status>(const PendingRevocation&)>;

  Revocations(boost::asio::any_io_executor executor, std::string path, Revoke revoke);
  ~Revocations();
  Revocations(const Revocations&) = delete;
  Revocations& operator=(const Revocations&) = delete;

  // Loads the file (absent: nothing pending) and starts the timer loop; overdue entries run at once.
  // A corrupt file is reported and left in place (nothing is revoked from it, nothing lost).
  proto::Status start();
  // Records one durably (the file is rewritten before this returns Ok) and arms it.
  proto::Status add(PendingRevocation pending);
  void stop();
  std::vector<PendingRevocation> pending() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace agentd::platform
