// Handlers for profiles and configuration.
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "agentd/app_state.hpp"
#include "agentd/lock/api_key_file.hpp"

namespace agentd {
namespace {
namespace asio = boost::asio;

// Why `request` must not configure a profile holding `held` (it names another issuer, client id or
// API endpoint than the credentials are bound to), else nullopt.
std::optional<proto::Error> refuse_rebinding(const proto::ProfileAdd& request, const store::Credentials& held) {
  const std::string held_endpoint = held.api_endpoint.empty() ? std::string(config::kDefaultApiEndpoint) : held.api_endpoint;
  const std::string asked_endpoint =
      request.api_endpoint.empty() ? std::string(config::kDefaultApiEndpoint) : request.api_endpoint;
  std::string what;
  if (request.issuer != held.issuer) {
    what = held.issuer.empty() ? "no issuer" : "the issuer " + held.issuer;
  } else if (!held.client_id.empty() && request.client_id != held.client_id) {
    what = "the client id " + held.client_id;
  } else if (!request.api_endpoint.empty() && asked_endpoint != held_endpoint) {
    what = "the API endpoint " + held_endpoint;
  } else {
    return std::nullopt;
  }
  return proto::Error{proto::ErrorCode::invalid_argument,
                      "profile '" + request.name + "' holds credentials bound to " + what +
                          "; they are never sent anywhere else. To configure it differently, first run `fluxloop auth logout --profile " +
                          request.name + "` or `fluxloop profile remove " + request.name + "`"};
}

}  // namespace

asio::awaitable<proto::Result<proto::OkReply>> App::State::on(const proto::ProfileAdd& request, const server::Peer&) {
  if (auto ok = config::validate_profile_name(request.name); !ok) co_return std::move(ok).error();
  if (request.kind == proto::ProfileKind::oidc) {
    if (auto ok = config::validate_https_url(request.issuer, "--issuer"); !ok) co_return std::move(ok).error();
    if (request.client_id.empty()) {
      co_return proto::Error{proto::ErrorCode::invalid_argument, "--client-id must not be empty"};
    }
  } else if (!request.issuer.empty() || !request.client_id.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "a " + std::string(proto::to_string(request.kind)) + " profile takes no --issuer or --client-id"};
  }
  if (!request.api_endpoint.empty()) {
    if (auto ok = config::validate_https_url(request.api_endpoint, "--api-endpoint"); !ok) co_return std::move(ok).error();
  }
  if (request.lifetime_seconds < 0 || request.lifetime_seconds > lock::kMaxLifetimeSeconds) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "--lifetime must be between 1 s and 366 d"};
  }
  if (config.profiles.contains(request.name)) {
    co_return proto::Error{proto::ErrorCode::profile_exists,
                           "profile '" + request.name + "' already exists; remove it first with `fluxloop profile remove " +
                               request.name + "`"};
  }
  // Credentials imported without a configuration are bound to where they came from: a profile
  // added over them must agree, or it would re-point their refresh token at another server.
  co_await ensure_loaded();  // a store problem hides no binding that oauth_client_of would miss
  if (const auto* entry = cache.find(request.name)) {
    if (auto refused = refuse_rebinding(request, entry->credentials)) co_return std::move(*refused);
  }
  auto updated = config;
  updated.profiles[request.name] = config::Profile{request.kind, request.issuer, request.client_id, request.api_endpoint,
                                                   request.scopes, request.lifetime_seconds};
  if (auto saved = config::save(config_path(), updated); !saved) co_return std::move(saved).error();
  config = std::move(updated);
  spdlog::info("profile added: {} ({})", request.name, proto::to_string(request.kind));
  co_return proto::OkReply{};
}

asio::awaitable<proto::Result<proto::ProfileListReply>> App::State::on(const proto::ProfileList&, const server::Peer&) {
  co_await ensure_loaded();  // a store problem still lists the configured profiles
  proto::ProfileListReply reply;
  reply.default_profile = resolve("");
  std::set<std::string> names;
  for (const auto& [name, _] : config.profiles) names.insert(name);
  for (const auto& [name, _] : cache.entries()) names.insert(name);
  for (const auto& name : names) {
    proto::ProfileInfo info;
    info.name = name;
    info.kind = view_of(name).kind;
    if (auto it = config.profiles.find(name); it != config.profiles.end()) {
      info.issuer = it->second.issuer;
      info.client_id = it->second.client_id;
      info.api_endpoint = it->second.api_endpoint;
      info.scopes = it->second.scopes;
      info.lifetime_seconds = it->second.lifetime_seconds;
    }
    if (const auto* entry = cache.find(name)) {
      info.has_credentials = true;
      const auto& c = entry->credentials;
      if (info.issuer.empty()) info.issuer = c.issuer;
      if (info.client_id.empty()) info.client_id = c.client_id;
      if (info.api_endpoint.empty()) info.api_endpoint = c.api_endpoint;
    }
    info.is_default = name == reply.default_profile;
    reply.profiles.push_back(std::move(info));
  }
  co_return reply;
}

asio::awaitable<proto::Result<proto::OkReply>> App::State::on(const proto::ProfileRemove& request, const server::Peer&) {
  if (auto status = co_await ensure_loaded(); !status) co_return std::move(status).error();
  const bool configured = config.profiles.contains(request.name);
  const bool stored = cache.find(request.name) != nullptr;
  if (!configured && !stored) {
    co_return proto::Error{proto::ErrorCode::no_such_profile,
                           "no profile named '" + request.name + "'; see `fluxloop profile list`"};
  }
  // Forget the secrets first: a profile must never linger in the store after its removal was reported.
  if (stored) {
    co_await refresher->wait_idle(request.name);
    refresher->forget(request.name);
    if (auto erased = co_await store->erase(request.name); !erased) co_return std::move(erased).error();
    cache.erase(request.name);
    sweeper->disarm(request.name);
    credentials_changed(request.name, CredentialChange::forgotten);
  }
  auto updated = config;
  updated.profiles.erase(request.name);
  if (updated.default_profile == request.name) updated.default_profile.clear();
  if (updated != config) {
    if (auto saved = config::save(config_path(), updated); !saved) co_return std::move(saved).error();
    config = std::move(updated);
  }
  spdlog::info("profile removed: {}", request.name);
  co_return proto::OkReply{};
}

asio::awaitable<proto::Result<proto::OkReply>> App::State::on(const proto::ConfigSet& request, const server::Peer&) {
  if (request.key == "api_key_file") {
    if (!request.value.empty()) {
      if (auto ok = lock::validate_api_key_file(request.value); !ok) co_return std::move(ok).error();
    }
    auto updated = config;
    updated.api_key_file = request.value;
    if (auto saved = config::save(config_path(), updated); !saved) co_return std::move(saved).error();
    config = std::move(updated);
    spdlog::info("api_key_file {}", request.value.empty() ? "unset" : "set to " + request.value);
    co_return proto::OkReply{};
  }
  if (request.key == "cli_bridge") {
    if (request.value != "on" && request.value != "off") {
      co_return proto::Error{proto::ErrorCode::invalid_argument, "cli_bridge is `on` or `off`"};
    }
    auto updated = config;
    updated.cli_bridge = request.value == "on";
    if (auto saved = config::save(config_path(), updated); !saved) co_return std::move(saved).error();
    config = std::move(updated);
    spdlog::info("cli_bridge {}", request.value);
    co_return proto::OkReply{};  // App::handle tells the bridge, which writes or removes the file
  }
  if (request.key != "profile") {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "unknown setting '" + request.key + "'; settings: profile, api_key_file, cli_bridge"};
  }
  if (auto ok = config::validate_profile_name(request.value); !ok) co_return std::move(ok).error();
  auto updated = config;
  updated.default_profile = request.value;
  if (auto saved = config::save(config_path(), updated); !saved) co_return std::move(saved).error();
  config = std::move(updated);
  spdlog::info("default profile set to {}", request.value);
  co_return proto::OkReply{};
}

}  // namespace agentd
