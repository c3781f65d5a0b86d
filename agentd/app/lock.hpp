// Handlers of `agent lock` / `agent unlock`. They take the request mutably: the passphrase is wiped
// once they are done with it.
#pragma once

#include "agentd/app/handled.hpp"
#include "agentd/app/services/lock.hpp"
#include "agentd/server/request_handler.hpp"
#include "proto/messages.hpp"

namespace agentd::app {

// The lock ops; what a locked agent refuses is agentd/lock/gate.hpp's.
class LockHandlers {
 public:
  explicit LockHandlers(services::Lock& lock) : lock_(lock) {}
  // Locks the agent with the request's passphrase (wiped on return).
  Handled<proto::AgentLock> on(proto::AgentLock& request, const server::Peer& peer);
  // Unlocks with the request's passphrase (wiped on return); a wrong one is logged with the peer.
  Handled<proto::AgentUnlock> on(proto::AgentUnlock& request, const server::Peer& peer);

 private:
  services::Lock& lock_;
};

}  // namespace agentd::app
