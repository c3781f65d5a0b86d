// `agent lock` / `agent unlock` (docs/lock.md); the lock itself is agentd/app/services/lock.hpp.
#include "agentd/app/lock.hpp"

#include <spdlog/spdlog.h>

#include "proto/mask.hpp"

namespace agentd::app {

Handled<proto::AgentLock> LockHandlers::on(proto::AgentLock& request, const server::Peer& peer) {
  const proto::WipeOnExit wiper{request.passphrase};
  FLUXLOOP_CO_CHECK(co_await lock_.passphrase().lock(request.passphrase));
  lock_.drop_cached_replies();  // no encoded token kept while locked
  spdlog::info("agent locked by pid {}: no secret is served until `fluxloop agent unlock`", peer.pid);
  co_return proto::OkReply{};
}

Handled<proto::AgentUnlock> LockHandlers::on(proto::AgentUnlock& request, const server::Peer& peer) {
  const proto::WipeOnExit wiper{request.passphrase};
  auto unlocked = co_await lock_.passphrase().unlock(request.passphrase);
  if (!unlocked) {
    if (unlocked.error().code == proto::ErrorCode::permission_denied) {
      spdlog::warn("wrong unlock passphrase from pid {}", peer.pid);
    }
    co_return std::move(unlocked).error();
  }
  spdlog::info("agent unlocked by pid {}", peer.pid);
  co_return proto::OkReply{};
}

}  // namespace agentd::app
