#include "agentd/app/services/credentials.hpp"

#include <spdlog/spdlog.h>

#include "agentd/audit/monitor.hpp"
#include "agentd/audit/refresh_observer.hpp"
#include "agentd/tokens/clock.hpp"
#include "proto/expected.hpp"

namespace agentd::app::services {
namespace asio = boost::asio;

Credentials::Credentials(asio::any_io_executor executor, Settings& settings, http::Client& http,
                         oauth::DiscoveryCache& discovery, audit::Monitor& monitor)
    : executor_(std::move(executor)), settings_(settings) {
  kinds_ = std::make_unique<kinds::Registry>(kinds::Services{executor_, &http, &discovery});
  refresher_ = std::make_unique<tokens::Refresher>(executor_, cache_, audit::observe_refreshes(refresher_hooks(), monitor));
  sweeper_ = std::make_unique<lock::Sweeper>(executor_, sweeper_hooks());
}

Credentials::~Credentials() = default;

asio::awaitable<proto::Status> Credentials::start() {
  const auto& options = settings_.options();
  FLUXLOOP_CO_TRY(selection,
                  co_await store::select_store(executor_, options.home, options.forced_store, settings_.config().store));
  store_ = std::move(selection.store);
  store_detail_ = std::move(selection.detail);
  spdlog::info("secret store: {} ({}) at {}", proto::to_string(store_->kind()), store_detail_, store_->location());
  // Record the first choice so it never changes silently between runs (an explicit
  // FLUXLOOP_STORE still wins for the run that sets it).
  if (settings_.config().store.empty()) {
    auto updated = settings_.config();
    updated.store = std::string(proto::to_string(store_->kind()));
    FLUXLOOP_CO_CHECK(settings_.update(std::move(updated)));
  }
  // A locked keyring or corrupt file is not fatal: the agent serves what it can and reports the
  // problem; ensure_loaded() tries again on the next request that needs the store.
  if (auto status = co_await ensure_loaded(); !status) {
    spdlog::warn("credentials not loaded: {}", status.error().message);
  }
  // Credentials whose lifetime ended while the agent was down are forgotten before anyone is served.
  co_await sweeper_->sweep_now();
  sweeper_->start();
  refresher_->start();
  co_return proto::Ok{};
}

void Credentials::stop() {
  refresher_->stop();
  sweeper_->stop();
}

asio::awaitable<proto::Status> Credentials::ensure_loaded() {
  if (loaded_) co_return proto::Ok{};
  auto all = co_await store_->load_all();
  if (!all) {
    store_problem_ = all.error().message;
    co_return std::move(all).error();
  }
  for (auto& [profile, credentials] : *all) {
    // Entries already in memory are newer than the store's (they were saved there too).
    if (cache_.find(profile)) continue;
    if (!co_await stamp_loaded(profile, credentials)) continue;  // past its lifetime: not served
    remember(profile, std::move(credentials));
  }
  store_problem_.clear();
  loaded_ = true;
  co_return proto::Ok{};
}

tokens::Entry& Credentials::remember(const std::string& profile, store::Credentials credentials) {
  auto& entry = cache_.put(profile, std::move(credentials));
  sweeper_->arm(profile, entry.credentials.forget_at);
  refresher_->schedule(profile);
  return entry;
}

asio::awaitable<proto::Result<tokens::Entry*>> Credentials::admit(const std::string& profile,
                                                                  store::Credentials credentials) {
  stamp_arrival(profile, credentials);
  // Persist before serving: a token the agent hands out must survive an agent restart.
  FLUXLOOP_CO_CHECK(co_await store_->save(profile, credentials));
  auto& entry = remember(profile, std::move(credentials));
  changed(profile, CredentialChange::saved);
  co_return &entry;
}

void Credentials::drop(const std::string& profile) {
  cache_.erase(profile);
  refresher_->forget(profile);
  sweeper_->disarm(profile);
}

std::set<std::string> Credentials::profile_names() const {
  std::set<std::string> names;
  for (const auto& [name, _] : settings_.config().profiles) names.insert(name);
  for (const auto& [name, _] : cache_.entries()) names.insert(name);
  return names;
}

kinds::ProfileView Credentials::view_of(const std::string& profile) const {
  kinds::ProfileView view;
  view.name = profile;
  const config::Profile* configured = settings_.profile(profile);
  const auto held = cache_.entries().find(profile);
  if (configured) view.config = *configured;
  view.kind = kinds::kind_of(configured, held != cache_.entries().end() ? &held->second.credentials : nullptr);
  return view;
}

void Credentials::changed(const std::string& profile, CredentialChange change) {
  if (observers_.empty()) return;
  const CredentialEvent event{profile, view_of(profile).kind, change};
  for (const auto& observer : observers_) observer(event);
}

proto::Status Credentials::bind_arrival(const std::string& profile, store::Credentials& credentials) const {
  const config::Profile* found = settings_.profile(profile);
  if (!found) return proto::Ok{};  // nothing configured: they keep what they came with
  const config::Profile& configured = *found;
  auto conflict = [&](std::string_view what, const std::string& theirs, const std::string& ours) {
    return proto::Error{proto::ErrorCode::invalid_argument,
                        "the credentials name the " + std::string(what) + " " + theirs + ", but profile '" + profile +
                            "' is configured with " + ours + ": import them into another profile (--profile NAME)"};
  };
  if (!credentials.issuer.empty() && !configured.issuer.empty() && credentials.issuer != configured.issuer) {
    return conflict("issuer", credentials.issuer, configured.issuer);
  }
  if (!credentials.api_endpoint.empty() && !configured.api_endpoint.empty() &&
      credentials.api_endpoint != configured.api_endpoint) {
    return conflict("API endpoint", credentials.api_endpoint, configured.api_endpoint);
  }
  if (credentials.issuer.empty() && credentials.token_endpoint.empty()) credentials.issuer = configured.issuer;
  if (credentials.client_id.empty()) credentials.client_id = configured.client_id;
  if (credentials.api_endpoint.empty()) credentials.api_endpoint = configured.api_endpoint;
  return proto::Ok{};
}

tokens::RefresherHooks Credentials::refresher_hooks() {
  tokens::RefresherHooks hooks;
  // The profile's kind performs the grant (agentd/kinds): OIDC refresh_token grant, CLI connect refresh.
  hooks.refresh = [this](const std::string& profile, store::Credentials current) -> asio::awaitable<tokens::Attempt> {
    const kinds::ProfileView view = view_of(profile);
    auto attempt = co_await kind_of(view).refresh(view, std::move(current));
    co_return attempt;
  };
  hooks.changed = [this](const std::string& profile) { changed(profile, CredentialChange::refreshed); };
  hooks.persist = [this](const std::string& profile, const store::Credentials& credentials) {
    return store_->save(profile, credentials);
  };
  hooks.reload = [this](const std::string& profile) -> asio::awaitable<std::optional<store::Credentials>> {
    auto all = co_await store_->load_all();
    if (!all) co_return std::nullopt;
    auto it = all->find(profile);
    if (it == all->end()) co_return std::nullopt;
    co_return std::move(it->second);
  };
  return hooks;
}

void Credentials::stamp_arrival(const std::string& profile, store::Credentials& credentials) const {
  std::int64_t profile_seconds = 0;
  if (const auto* configured = settings_.profile(profile)) profile_seconds = configured->lifetime_seconds;
  const auto lifetime = lock::effective_lifetime(settings_.options().lifetime_seconds, profile_seconds);
  // No lifetime: keep whatever deadline the credentials already carry (an imported file may set one).
  if (!lifetime) return;
  credentials.forget_at = tokens::format_rfc3339(std::chrono::system_clock::now() + *lifetime);
}

// For credentials loaded from the store: false when their deadline has passed (the sweeper then
// erases them from the store; they must not be served). Without a deadline while a lifetime
// applies, stamps and saves them (they arrive in this agent now).
asio::awaitable<bool> Credentials::stamp_loaded(const std::string& profile, store::Credentials& credentials) {
  if (!credentials.forget_at.empty()) {
    const auto deadline = tokens::parse_rfc3339(credentials.forget_at);
    if (!deadline || *deadline > std::chrono::system_clock::now()) co_return true;
    // Overdue (the agent was down, or a reload after a store failure): never cached; the sweeper
    // erases the stored copy.
    sweeper_->arm(profile, credentials.forget_at);
    sweeper_->expire_due();
    co_return false;
  }
  stamp_arrival(profile, credentials);
  if (credentials.forget_at.empty()) co_return true;
  // Persisted so the deadline counts from this arrival across restarts instead of restarting each time.
  if (auto saved = co_await store_->save(profile, credentials); !saved) {
    spdlog::warn("profile {}: could not save its lifetime deadline: {}", profile, saved.error().message);
  }
  co_return true;
}

lock::Sweeper::Hooks Credentials::sweeper_hooks() {
  lock::Sweeper::Hooks hooks;
  hooks.drop = [this](const std::string& profile) {
    // Out of memory first: from here on nothing serves them, whatever the store does.
    cache_.erase(profile);
    refresher_->forget(profile);
    changed(profile, CredentialChange::forgotten);
  };
  hooks.erase = [this](const std::string& profile) -> asio::awaitable<void> {
    // A refresh in flight persists its result before it notices the profile is gone: let it land,
    // then erase. Nothing is revoked at the server: a lifetime limits what this machine holds.
    co_await refresher_->wait_idle(profile);
    if (cache_.find(profile)) co_return;  // new credentials arrived meanwhile (they replaced the old in the store)
    if (auto erased = co_await store_->erase(profile); !erased) {
      // Still forgotten in memory; at the next start the overdue deadline forgets them again.
      spdlog::warn("profile {}: could not erase expired credentials from the store: {}", profile, erased.error().message);
    }
  };
  return hooks;
}

}  // namespace agentd::app::services
