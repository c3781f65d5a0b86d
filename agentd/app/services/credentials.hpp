// Credentials and refresh: the secret store, the token cache, the refresher, profile kinds,
// credential lifetimes (--lifetime) and the observers of credential changes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/app/services/settings.hpp"
#include "agentd/kinds/registry.hpp"
#include "agentd/lock/lifetime.hpp"
#include "agentd/store/secret_store.hpp"
#include "agentd/tokens/refresher.hpp"
#include "agentd/tokens/token_cache.hpp"
#include "proto/result.hpp"

namespace agentd::audit {
class Monitor;
}
namespace agentd::http {
class Client;
}
namespace agentd::oauth {
class DiscoveryCache;
}

namespace agentd::app::services {

// What happened to a profile's credentials (CredentialObserver).
enum class CredentialChange { saved, refreshed, forgotten };
struct CredentialEvent {
  std::string profile;
  proto::ProfileKind kind;  // the profile's kind when the change happened
  CredentialChange change;
};
// Told of every change after it is in the cache and the store (saved: login, import, a stored API
// key, an adopted login; refreshed; forgotten: logout, profile remove, lifetime end). Must not block.
using CredentialObserver = std::function<void(const CredentialEvent&)>;

// Every credential the agent holds, where it is stored, and how it stays valid.
class Credentials {
 public:
  Credentials(boost::asio::any_io_executor executor, Settings& settings, http::Client& http,
              oauth::DiscoveryCache& discovery, audit::Monitor& monitor);
  ~Credentials();
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  // Start-up: selects the secret store (recorded in config.json so it never changes silently),
  // loads it (a failure is reported, not fatal), forgets credentials past their lifetime and
  // starts the refresh and lifetime timers. An error is a start-up failure.
  boost::asio::awaitable<proto::Status> start();
  // Cancels the refresh and lifetime timers.
  void stop();

  // The secret store selected by start().
  store::SecretStore& store() { return *store_; }
  // Why the store was chosen, and the last load failure (locked keyring, corrupt file; empty when loaded).
  const std::string& store_detail() const noexcept { return store_detail_; }
  const std::string& store_problem() const noexcept { return store_problem_; }
  // (Re)loads every profile from the store if the last load failed or never happened.
  boost::asio::awaitable<proto::Status> ensure_loaded();

  // The credentials held now, by profile.
  tokens::TokenCache& cache() noexcept { return cache_; }
  const tokens::TokenCache& cache() const noexcept { return cache_; }
  // Refreshes (proactive, on demand, forced); waits for one in flight (wait_idle).
  tokens::Refresher& refresher() noexcept { return *refresher_; }

  // Puts credentials in the cache and arms their proactive refresh and lifetime deadline.
  tokens::Entry& remember(const std::string& profile, store::Credentials credentials);
  // Credentials arriving now (login, import, an adopted login, a stored API key): stamps their
  // lifetime, saves them (persist before serving), remembers them and tells the observers (saved).
  boost::asio::awaitable<proto::Result<tokens::Entry*>> admit(const std::string& profile, store::Credentials credentials);
  // Out of memory: the cache entry, its refresh schedule and its lifetime deadline (not the store).
  void drop(const std::string& profile);

  // Every profile the agent knows of: configured, or holding credentials (sorted).
  std::set<std::string> profile_names() const;
  // A profile as its kind sees it: name, kind (configured, else from the credentials held) and configuration.
  kinds::ProfileView view_of(const std::string& profile) const;
  // The implementation of a profile's kind (agentd/kinds): every login, refresh and logout goes through it.
  kinds::ProfileKind& kind_of(const kinds::ProfileView& view) const { return (*kinds_)[view.kind]; }
  // Binds arriving credentials (import) to where they may be sent: fills issuer, client id and API
  // endpoint they lack from the profile's configuration. A file naming another issuer or API
  // endpoint than the configured profile is refused (invalid_argument).
  proto::Status bind_arrival(const std::string& profile, store::Credentials& credentials) const;
  // Stamps credentials arriving now with forget_at = now + the profile's lifetime (the shorter of
  // --lifetime and the profile's), when one applies. admit() calls it.
  void stamp_arrival(const std::string& profile, store::Credentials& credentials) const;
  // Forgets credentials whose lifetime has ended (before a secret is served).
  void expire_due() { sweeper_->expire_due(); }

  // Adds an observer of credential changes (the auth.json bridge, …).
  void observe(CredentialObserver observer) { observers_.push_back(std::move(observer)); }
  // Tells the observers that `profile`'s credentials changed.
  void changed(const std::string& profile, CredentialChange change);

 private:
  boost::asio::awaitable<bool> stamp_loaded(const std::string& profile, store::Credentials& credentials);
  tokens::RefresherHooks refresher_hooks();
  lock::Sweeper::Hooks sweeper_hooks();

  boost::asio::any_io_executor executor_;
  Settings& settings_;
  std::unique_ptr<store::SecretStore> store_;
  std::string store_detail_;
  std::string store_problem_;
  bool loaded_ = false;
  tokens::TokenCache cache_;
  std::unique_ptr<kinds::Registry> kinds_;       // before the refresher, whose hooks use it
  std::unique_ptr<tokens::Refresher> refresher_;
  std::unique_ptr<lock::Sweeper> sweeper_;
  std::vector<CredentialObserver> observers_;
};

}  // namespace agentd::app::services
