// The lock: `agent lock` holds every secret back until `agent unlock` (docs/lock.md), together with
// the credential lifetimes that end before a secret is served.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/settings.hpp"
#include "agentd/lock/passphrase_lock.hpp"
#include "proto/result.hpp"

namespace agentd::app::services {

// Whether the agent serves secrets and accepts configuration changes now.
class Lock {
 public:
  Lock(boost::asio::any_io_executor executor, const Settings& settings, Credentials& credentials);

  // The passphrase lock (lock, unlock, restore at start-up).
  lock::PassphraseLock& passphrase() noexcept { return *passphrase_; }
  bool locked() const noexcept { return passphrase_->locked(); }
  // Why a secret must not be served now (the agent is locked), else nullopt; first forgets
  // credentials whose lifetime has ended. The dispatch asks before every secret-serving op.
  std::optional<proto::Error> refuse_secret();
  // Drops every encoded get_token reply the cache keeps (once the agent is locked).
  void drop_cached_replies();
  // Why the configuration must not change now (the agent is locked: permission_denied), else nullopt.
  std::optional<proto::Error> refuse_config_change() const;

 private:
  Credentials& credentials_;
  std::unique_ptr<lock::PassphraseLock> passphrase_;
};

}  // namespace agentd::app::services
