// The CLI bridge in the agent: what $HOME/.fluxloop/auth.json should hold (agentd/bridge), adopting
// the platform CLI's logins and logging out when it deletes the file.
#include "agentd/app/services/bridge.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "agentd/bridge/bridge.hpp"
#include "agentd/tokens/clock.hpp"

namespace agentd::app::services {
namespace {
namespace asio = boost::asio;

// The platform CLI refreshes by itself when less than 5 minutes remain: the bridged profile is
// refreshed while 5 min 30 s still remain, so it never has to (the platform revokes a whole login
// when a refresh token is used twice, and that CLI takes no lock).
constexpr std::chrono::seconds kBridgeLead{330};

}  // namespace

Bridge::Bridge(asio::any_io_executor executor, const Settings& settings, Credentials& credentials, const Lock& lock)
    : executor_(std::move(executor)), settings_(settings), credentials_(credentials), lock_(lock) {}

Bridge::~Bridge() = default;

bool Bridge::bridged_kind(const std::string& profile) const {
  return credentials_.view_of(profile).kind == proto::ProfileKind::fluxloop;
}

// The API endpoint an adopted login is bound to: the profile's; for a profile not configured yet (zero
// set-up), the agent's FLUXLOOP_API_ENDPOINT or its aliases, as a first `auth login` would use.
std::string Bridge::endpoint_of(const std::string& profile) const {
  const auto view = credentials_.view_of(profile);
  if (settings_.config().profiles.contains(profile)) return view.api_endpoint();
  for (const char* name : {"FLUXLOOP_API_ENDPOINT", "FLUXLOOP_API_URL", "FLUXLOOP_SYNC_URL"}) {
    const char* value = std::getenv(name);
    if (value && *value && config::validate_https_url(value, name)) return value;
  }
  return view.api_endpoint();
}

bridge::Target Bridge::target() {
  bridge::Target target;
  const std::string profile = settings_.resolve("");
  if (!settings_.config().cli_bridge || !bridged_kind(profile)) return target;
  target.profile = profile;
  target.mode = bridge::Target::Mode::absent;
  if (lock_.locked()) return target;
  const auto* entry = credentials_.cache().find(profile);
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

asio::awaitable<proto::Status> Bridge::adopt(const std::string& profile, bridge::PlatformLogin login) {
  co_await credentials_.ensure_loaded();
  if (const auto* entry = credentials_.cache().find(profile); entry && entry->credentials.refresh_token == login.refresh_token) {
    co_return proto::Ok{};  // already this login: only the file needs rewriting
  }
  co_await credentials_.refresher().wait_idle(profile);
  store::Credentials credentials;
  credentials.access_token = std::move(login.access_token);
  credentials.refresh_token = std::move(login.refresh_token);
  credentials.expires_at = std::move(login.expires_at);
  credentials.user_email = std::move(login.user_email);
  credentials.user_id = std::move(login.user_id);
  // Bound to the profile's API endpoint: the agent refreshes it there from now on.
  credentials.api_endpoint = endpoint_of(profile);
  // Stored before the file loses its refresh token: a crash in between loses nothing.
  FLUXLOOP_CO_CHECK(co_await credentials_.admit(profile, std::move(credentials)));
  co_return proto::Ok{};
}

asio::awaitable<void> Bridge::logout(const std::string& profile) {
  co_await credentials_.refresher().wait_idle(profile);
  if (auto erased = co_await credentials_.store().erase(profile); !erased) {
    spdlog::warn("profile {}: could not erase its credentials from the store: {}", profile, erased.error().message);
  }
  credentials_.drop(profile);
  credentials_.changed(profile, CredentialChange::forgotten);
  spdlog::info("logged out of profile {} (the platform has no revocation: forgotten locally)", profile);
}

void Bridge::start() {
  bridge::Hooks hooks;
  hooks.target = [this] { return target(); };
  hooks.adopt = [this](const std::string& profile, bridge::PlatformLogin login) { return adopt(profile, std::move(login)); };
  hooks.logout = [this](const std::string& profile) { return logout(profile); };
  hooks.follow = [this](const std::string& previous, const std::string& current) {
    if (!previous.empty()) credentials_.refresher().set_min_lead(previous, std::nullopt);
    if (!current.empty()) credentials_.refresher().set_min_lead(current, kBridgeLead);
  };
  bridge_ = std::make_unique<bridge::Bridge>(executor_, bridge::default_bridge_path(), std::move(hooks));
  // Every change of the default profile's credentials (login, import, refresh, logout, lifetime end).
  credentials_.observe([this](const CredentialEvent& event) {
    if (event.profile == settings_.resolve("")) changed();
  });
  bridge_->start();
}

void Bridge::stop() {
  if (bridge_) bridge_->stop();
}

void Bridge::changed() {
  if (bridge_) bridge_->changed();
}

asio::awaitable<proto::Status> Bridge::settle() {
  if (!bridge_) co_return proto::Ok{};
  co_return co_await bridge_->settle();
}

std::string Bridge::path() const { return bridge_ ? bridge_->path() : std::string(); }

proto::BridgeState Bridge::state_of(const std::string& profile) const {
  using proto::BridgeState;
  if (!settings_.config().cli_bridge) return BridgeState::off;
  if (!bridged_kind(profile)) return BridgeState::not_bridged;
  if (lock_.locked()) return BridgeState::locked;
  const auto* entry = credentials_.cache().find(profile);
  if (!entry || entry->credentials.access_token.empty() || !entry->credentials.api_key.empty()) return BridgeState::no_login;
  return BridgeState::fresh;
}

}  // namespace agentd::app::services
