// Handlers of profiles and configuration.
#include "agentd/app/profiles.hpp"

#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "agentd/lock/api_key_file.hpp"

namespace agentd::app {
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

Handled<proto::ProfileAdd> ProfileHandlers::on(const proto::ProfileAdd& request) {
  FLUXLOOP_CO_CHECK(config::validate_profile_name(request.name));
  if (request.kind == proto::ProfileKind::oidc) {
    FLUXLOOP_CO_CHECK(config::validate_https_url(request.issuer, "--issuer"));
    if (request.client_id.empty()) {
      co_return proto::Error{proto::ErrorCode::invalid_argument, "--client-id must not be empty"};
    }
  } else if (!request.issuer.empty() || !request.client_id.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "a " + std::string(proto::to_string(request.kind)) + " profile takes no --issuer or --client-id"};
  }
  if (!request.api_endpoint.empty()) {
    FLUXLOOP_CO_CHECK(config::validate_https_url(request.api_endpoint, "--api-endpoint"));
  }
  if (request.lifetime_seconds < 0 || request.lifetime_seconds > lock::kMaxLifetimeSeconds) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "--lifetime must be between 1 s and 366 d"};
  }
  if (settings_.config().profiles.contains(request.name)) {
    co_return proto::Error{proto::ErrorCode::profile_exists,
                           "profile '" + request.name + "' already exists; remove it first with `fluxloop profile remove " +
                               request.name + "`"};
  }
  // Credentials imported without a configuration are bound to where they came from: a profile
  // added over them must agree, or it would re-point their refresh token at another server.
  co_await credentials_.ensure_loaded();  // a store problem hides no binding that oauth_client_of would miss
  if (const auto* entry = credentials_.cache().find(request.name)) {
    if (auto refused = refuse_rebinding(request, entry->credentials)) co_return std::move(*refused);
  }
  auto updated = settings_.config();
  updated.profiles[request.name] = config::Profile{request.kind, request.issuer, request.client_id, request.api_endpoint,
                                                   request.scopes, request.lifetime_seconds};
  FLUXLOOP_CO_CHECK(settings_.update(std::move(updated)));
  spdlog::info("profile added: {} ({})", request.name, proto::to_string(request.kind));
  co_return proto::OkReply{};
}

Handled<proto::ProfileList> ProfileHandlers::on(const proto::ProfileList&) {
  co_await credentials_.ensure_loaded();  // a store problem still lists the configured profiles
  proto::ProfileListReply reply;
  reply.default_profile = settings_.resolve("");
  for (const auto& name : credentials_.profile_names()) {
    proto::ProfileInfo info;
    info.name = name;
    info.kind = credentials_.view_of(name).kind;
    if (const auto* configured = settings_.profile(name)) {
      info.issuer = configured->issuer;
      info.client_id = configured->client_id;
      info.api_endpoint = configured->api_endpoint;
      info.scopes = configured->scopes;
      info.lifetime_seconds = configured->lifetime_seconds;
    }
    if (const auto* entry = credentials_.cache().find(name)) {
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

Handled<proto::ProfileRemove> ProfileHandlers::on(const proto::ProfileRemove& request) {
  FLUXLOOP_CO_CHECK(co_await credentials_.ensure_loaded());
  const bool configured = settings_.config().profiles.contains(request.name);
  const bool stored = credentials_.cache().find(request.name) != nullptr;
  if (!configured && !stored) {
    co_return proto::Error{proto::ErrorCode::no_such_profile,
                           "no profile named '" + request.name + "'; see `fluxloop profile list`"};
  }
  // Forget the secrets first: a profile must never linger in the store after its removal was reported.
  if (stored) {
    co_await credentials_.refresher().wait_idle(request.name);
    credentials_.refresher().forget(request.name);
    FLUXLOOP_CO_CHECK(co_await credentials_.store().erase(request.name));
    credentials_.drop(request.name);
    credentials_.changed(request.name, services::CredentialChange::forgotten);
  }
  auto updated = settings_.config();
  updated.profiles.erase(request.name);
  if (updated.default_profile == request.name) updated.default_profile.clear();
  if (updated != settings_.config()) {
    FLUXLOOP_CO_CHECK(settings_.update(std::move(updated)));
  }
  spdlog::info("profile removed: {}", request.name);
  co_return proto::OkReply{};
}

Handled<proto::ConfigSet> ProfileHandlers::on(const proto::ConfigSet& request) {
  if (request.key == proto::ConfigKey::api_key_file) {
    if (!request.value.empty()) {
      FLUXLOOP_CO_CHECK(lock::validate_api_key_file(request.value));
    }
    auto updated = settings_.config();
    updated.api_key_file = request.value;
    FLUXLOOP_CO_CHECK(settings_.update(std::move(updated)));
    spdlog::info("api_key_file {}", request.value.empty() ? "unset" : "set to " + request.value);
    co_return proto::OkReply{};
  }
  if (request.key == proto::ConfigKey::cli_bridge) {
    if (request.value != "on" && request.value != "off") {
      co_return proto::Error{proto::ErrorCode::invalid_argument, "cli_bridge is `on` or `off`"};
    }
    auto updated = settings_.config();
    updated.cli_bridge = request.value == "on";
    FLUXLOOP_CO_CHECK(settings_.update(std::move(updated)));
    spdlog::info("cli_bridge {}", request.value);
    co_return proto::OkReply{};  // the dispatch tells the bridge, which writes or removes the file
  }
  // ConfigKey::profile (the decoder refuses a setting outside the enum with bad_request).
  FLUXLOOP_CO_CHECK(config::validate_profile_name(request.value));
  auto updated = settings_.config();
  updated.default_profile = request.value;
  FLUXLOOP_CO_CHECK(settings_.update(std::move(updated)));
  spdlog::info("default profile set to {}", request.value);
  co_return proto::OkReply{};
}

}  // namespace agentd::app
