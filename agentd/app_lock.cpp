// `agent lock` / `agent unlock` and credential lifetimes (--lifetime on the agent and per profile).
#include <spdlog/spdlog.h>

#include "agentd/app_state.hpp"
#include "agentd/tokens/clock.hpp"
#include "proto/mask.hpp"

namespace agentd {
namespace {
namespace asio = boost::asio;

// Wipes the passphrase of a decoded request once its handler is done with it. The request object is
// the decoder's frame owned by App::handle (not a const object), so writing to it is defined; the
// handler's const& only says the handler does not change what the request means.
proto::WipeOnExit wipe_when_done(const std::string& passphrase) {
  return proto::WipeOnExit{const_cast<std::string&>(passphrase)};
}

}  // namespace

asio::awaitable<proto::Result<proto::OkReply>> App::State::on(const proto::AgentLock& request, const server::Peer& peer) {
  const auto wiper = wipe_when_done(request.passphrase);
  if (auto locked = co_await passphrase_lock->lock(request.passphrase); !locked) co_return std::move(locked).error();
  cache.drop_replies();  // no encoded token kept while locked
  spdlog::info("agent locked by pid {}: no secret is served until `fluxloop agent unlock`", peer.pid);
  co_return proto::OkReply{};
}

asio::awaitable<proto::Result<proto::OkReply>> App::State::on(const proto::AgentUnlock& request, const server::Peer& peer) {
  const auto wiper = wipe_when_done(request.passphrase);
  auto unlocked = co_await passphrase_lock->unlock(request.passphrase);
  if (!unlocked) {
    if (unlocked.error().code == proto::ErrorCode::permission_denied) {
      spdlog::warn("wrong unlock passphrase from pid {}", peer.pid);
    }
    co_return std::move(unlocked).error();
  }
  spdlog::info("agent unlocked by pid {}", peer.pid);
  co_return proto::OkReply{};
}

std::optional<proto::Error> App::State::refuse_secret() {
  sweeper->expire_due();
  if (passphrase_lock->locked()) {
    return proto::Error{proto::ErrorCode::locked, "the agent is locked: run `fluxloop agent unlock`"};
  }
  return std::nullopt;
}

std::optional<proto::Error> App::State::refuse_config_change() const {
  // A locked agent is being left alone: re-pointing a profile at another server, or removing one,
  // waits for the owner's unlock.
  if (passphrase_lock->locked()) {
    return proto::Error{proto::ErrorCode::permission_denied,
                        "the agent is locked: configuration changes wait for `fluxloop agent unlock`"};
  }
  return std::nullopt;
}

void App::State::stamp_arrival(const std::string& profile, store::Credentials& credentials) const {
  std::int64_t profile_seconds = 0;
  if (auto it = config.profiles.find(profile); it != config.profiles.end()) profile_seconds = it->second.lifetime_seconds;
  const auto lifetime = lock::effective_lifetime(options.lifetime_seconds, profile_seconds);
  // No lifetime: keep whatever deadline the credentials already carry (an imported file may set one).
  if (!lifetime) return;
  credentials.forget_at = tokens::format_rfc3339(std::chrono::system_clock::now() + *lifetime);
}

asio::awaitable<bool> App::State::stamp_loaded(const std::string& profile, store::Credentials& credentials) {
  if (!credentials.forget_at.empty()) {
    const auto deadline = tokens::parse_rfc3339(credentials.forget_at);
    if (!deadline || *deadline > std::chrono::system_clock::now()) co_return true;
    // Overdue (the agent was down, or a reload after a store failure): never cached; the sweeper
    // erases the stored copy.
    sweeper->arm(profile, credentials.forget_at);
    sweeper->expire_due();
    co_return false;
  }
  stamp_arrival(profile, credentials);
  if (credentials.forget_at.empty()) co_return true;
  // Persisted so the deadline counts from this arrival across restarts instead of restarting each time.
  if (auto saved = co_await store->save(profile, credentials); !saved) {
    spdlog::warn("profile {}: could not save its lifetime deadline: {}", profile, saved.error().message);
  }
  co_return true;
}

lock::Sweeper::Hooks App::State::sweeper_hooks() {
  lock::Sweeper::Hooks hooks;
  hooks.drop = [this](const std::string& profile) {
    // Out of memory first: from here on nothing serves them, whatever the store does.
    cache.erase(profile);
    refresher->forget(profile);
    credentials_changed(profile, CredentialChange::forgotten);
  };
  hooks.erase = [this](const std::string& profile) -> asio::awaitable<void> {
    // A refresh in flight persists its result before it notices the profile is gone: let it land,
    // then erase. Nothing is revoked at the server: a lifetime limits what this machine holds.
    co_await refresher->wait_idle(profile);
    if (cache.find(profile)) co_return;  // new credentials arrived meanwhile (they replaced the old in the store)
    if (auto erased = co_await store->erase(profile); !erased) {
      // Still forgotten in memory; at the next start the overdue deadline forgets them again.
      spdlog::warn("profile {}: could not erase expired credentials from the store: {}", profile, erased.error().message);
    }
  };
  return hooks;
}

}  // namespace agentd
