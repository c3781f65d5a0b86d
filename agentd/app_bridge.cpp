// The CLI bridge in the agent: what $HOME/.fluxloop/auth.json should hold (agentd/bridge), adopting
// the platform CLI's logins, logging out when it deletes the file, and bridge_sync for pass-through.
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "agentd/app_state.hpp"
#include "agentd/bridge/bridge.hpp"
#include "agentd/tokens/clock.hpp"

namespace agentd {
namespace {
namespace asio = boost::asio;

// The platform CLI refreshes by itself when less than 5 minutes remain: the bridged profile is
// refreshed while 5 min 30 s still remain, so it never has to (the platform revokes a whole login
// when a refresh token is used twice, and that CLI takes no lock).
constexpr std::chrono::seconds kBridgeLead{330};

}  // namespace

bool App::State::bridged_kind(const std::string& profile) const {
  return view_of(profile).kind == proto::ProfileKind::fluxloop;
}

// The API endpoint an adopted login is bound to: the profile's; for a profile not configured yet (zero
// set-up), the agent's FLUXLOOP_API_ENDPOINT or its aliases, as a first `auth login` would use.
std::string App::State::bridge_endpoint(const std::string& profile) const {
  const auto view = view_of(profile);
  if (config.profiles.contains(profile)) return view.api_endpoint();
  for (const char* name : {"FLUXLOOP_API_ENDPOINT", "FLUXLOOP_API_URL", "FLUXLOOP_SYNC_URL"}) {
    const char* value = std::getenv(name);
    if (value && *value && config::validate_https_url(value, name)) return value;
  }
  return view.api_endpoint();
}

bridge::Target App::State::bridge_target() {
  bridge::Target target;
  const std::string profile = resolve("");
  if (!config.cli_bridge || !bridged_kind(profile)) return target;
  target.profile = profile;
  target.mode = bridge::Target::Mode::absent;
  if (passphrase_lock->locked()) return target;
  const auto* entry = cache.find(profile);
  if (!entry || entry->credentials.access_token.empty() || !entry->credentials.api_key.empty()) return target;
  const auto& c = entry->credentials;
  target.mode = bridge::Target::Mode::present;
  target.login.access_token = c.access_token;
  if (auto normalized = tokens::normalize_expires_at(c.expires_at)) {
    target.login.expires_at = *normalized;
  } else if (entry->expires) {
    target.login.expires_at = tokens::format_rfc3339(tokens::to_system_time(*entry->expires));
  }
  target.login.user_email = c.user_email;
  target.login.user_id = c.user_id;
  return target;
}

asio::awaitable<proto::Status> App::State::bridge_adopt(const std::string& profile, bridge::PlatformLogin login) {
  co_await ensure_loaded();
  if (const auto* entry = cache.find(profile); entry && entry->credentials.refresh_token == login.refresh_token) {
    co_return proto::Ok{};  // already this login: only the file needs rewriting
  }
  co_await refresher->wait_idle(profile);
  store::Credentials credentials;
  credentials.access_token = std::move(login.access_token);
  credentials.refresh_token = std::move(login.refresh_token);
  credentials.expires_at = std::move(login.expires_at);
  credentials.user_email = std::move(login.user_email);
  credentials.user_id = std::move(login.user_id);
  // Bound to the profile's API endpoint: the agent refreshes it there from now on.
  credentials.api_endpoint = bridge_endpoint(profile);
  stamp_arrival(profile, credentials);
  // Stored before the file loses its refresh token: a crash in between loses nothing.
  if (auto saved = co_await store->save(profile, credentials); !saved) co_return saved;
  remember(profile, std::move(credentials));
  credentials_changed(profile, CredentialChange::saved);
  co_return proto::Ok{};
}

asio::awaitable<void> App::State::bridge_logout(const std::string& profile) {
  co_await refresher->wait_idle(profile);
  if (auto erased = co_await store->erase(profile); !erased) {
    spdlog::warn("profile {}: could not erase its credentials from the store: {}", profile, erased.error().message);
  }
  cache.erase(profile);
  refresher->forget(profile);
  sweeper->disarm(profile);
  credentials_changed(profile, CredentialChange::forgotten);
  spdlog::info("logged out of profile {} (the platform has no revocation: forgotten locally)", profile);
}

void App::State::start_bridge() {
  bridge::Hooks hooks;
  hooks.target = [this] { return bridge_target(); };
  hooks.adopt = [this](const std::string& profile, bridge::PlatformLogin login) { return bridge_adopt(profile, std::move(login)); };
  hooks.logout = [this](const std::string& profile) { return bridge_logout(profile); };
  hooks.follow = [this](const std::string& previous, const std::string& current) {
    if (!previous.empty()) refresher->set_min_lead(previous, std::nullopt);
    if (!current.empty()) refresher->set_min_lead(current, kBridgeLead);
  };
  bridge = std::make_unique<bridge::Bridge>(executor, bridge::default_bridge_path(), std::move(hooks));
  // Every change of the default profile's credentials (login, import, refresh, logout, lifetime end).
  credential_observers.push_back([this](const CredentialEvent& event) {
    if (event.profile == resolve("")) bridge_changed();
  });
  bridge->start();
}

void App::State::bridge_changed() {
  if (bridge) bridge->changed();
}

asio::awaitable<proto::Result<proto::BridgeSyncReply>> App::State::on(const proto::BridgeSync& request, const server::Peer&) {
  if (request.min_valid < 0 || request.min_valid > proto::kMaxDurationSeconds) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "min_valid must be between 0 s and a year"};
  }
  co_await ensure_loaded();
  proto::BridgeSyncReply reply;
  reply.profile = resolve("");
  reply.path = bridge ? bridge->path() : std::string();
  const auto target_state = [&]() -> std::string {
    if (!config.cli_bridge) return "off";
    if (!bridged_kind(reply.profile)) return "not_bridged";
    if (passphrase_lock->locked()) return "locked";
    const auto* entry = cache.find(reply.profile);
    if (!entry || entry->credentials.access_token.empty() || !entry->credentials.api_key.empty()) return "no_login";
    return "fresh";
  };
  if (target_state() == "fresh") {
    const auto* entry = cache.find(reply.profile);
    if (!entry->valid_for(std::chrono::seconds(request.min_valid)) && !entry->credentials.refresh_token.empty()) {
      // Tokens that live less than min_valid are never valid that long: one refresh is the best there is.
      if (auto refreshed = co_await refresher->refresh(reply.profile, tokens::Refresher::Mode::respect_backoff); !refreshed) {
        co_return std::move(refreshed).error();
      }
    }
  }
  // One more look whatever the state, even when nothing changed: someone may have edited the file,
  // and the answer then means "the agent has looked at the file since the request arrived".
  bridge_changed();
  proto::Status settled = proto::Ok{};
  if (bridge) settled = co_await bridge->settle();
  reply.state = target_state();
  if (reply.state != "fresh") co_return reply;
  if (!settled) co_return std::move(settled).error();  // the file could not be written
  if (const auto* now = cache.find(reply.profile); now && now->expires) {
    reply.expires_at = tokens::format_rfc3339(tokens::to_system_time(*now->expires));
  }
  co_return reply;
}

}  // namespace agentd
