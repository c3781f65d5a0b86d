// Handlers that keep tokens valid: get_token (refreshing on demand), auth_refresh, auth_logout,
// and the refresher's hooks onto the OAuth client and the secret store.
#include <spdlog/spdlog.h>

#include "agentd/app_state.hpp"
#include "agentd/oauth/token_client.hpp"
#include "agentd/oauth/tokens.hpp"

namespace agentd {
namespace {
namespace asio = boost::asio;

std::string login_hint(const std::string& profile) {
  return "run `fluxloop auth login --profile " + profile + "` or `fluxloop auth import FILE --profile " + profile + "`";
}

// An on-demand refresh may adopt newer credentials from the store, which can themselves need a
// refresh: allow that one extra round, never a loop.
constexpr int kMaxRefreshRounds = 2;

}  // namespace

App::State::OAuthClient App::State::oauth_client_of(const std::string& profile,
                                                    const store::Credentials& credentials) const {
  OAuthClient client{credentials.issuer, credentials.client_id, credentials.token_endpoint, {}};
  if (auto it = config.profiles.find(profile); it != config.profiles.end()) {
    if (client.issuer.empty()) client.issuer = it->second.issuer;
    if (client.client_id.empty()) client.client_id = it->second.client_id;
    client.scopes = it->second.scopes;
  }
  return client;
}

asio::awaitable<oauth::Result<oauth::ProviderMetadata>> App::State::metadata_of(const OAuthClient& client) {
  if (client.issuer.empty()) {
    oauth::ProviderMetadata explicit_endpoints;
    explicit_endpoints.token_endpoint = client.token_endpoint;
    if (!client.token_endpoint.empty()) co_return explicit_endpoints;
    co_return oauth::Error{proto::ErrorCode::invalid_argument,
                           "the profile has no issuer to refresh with: add one with `fluxloop profile add NAME --issuer URL --client-id ID`"};
  }
  auto metadata = co_await discovery->get(client.issuer);
  // Explicit endpoints in a profile override discovery.
  if (metadata && !client.token_endpoint.empty()) metadata->token_endpoint = client.token_endpoint;
  co_return metadata;
}

tokens::RefresherHooks App::State::refresher_hooks() {
  tokens::RefresherHooks hooks;
  hooks.refresh = [this](const std::string& profile, store::Credentials current) -> asio::awaitable<tokens::Attempt> {
    const auto client = oauth_client_of(profile, current);
    auto metadata = co_await metadata_of(client);
    if (!metadata) co_return tokens::Attempt{metadata.error().to_proto(), metadata.error().retry_after};
    // A named local, never a braced temporary inside co_await: g++ 12 destroys such temporaries
    // twice (this very call crashed the agent with "free(): invalid pointer").
    oauth::RefreshRequest request{metadata->token_endpoint, client.client_id, current.refresh_token, {}};
    auto response = co_await oauth::refresh_tokens(*http, std::move(request));
    if (!response) co_return tokens::Attempt{response.error().to_proto(), response.error().retry_after};
    tokens::Grant grant;
    grant.access_token = response->access_token;
    grant.refresh_token = response->refresh_token.value_or("");
    grant.expires_in = response->expires_in;
    if (auto email = oauth::email_from_id_token(response->id_token)) grant.user_email = *email;
    co_return tokens::Attempt{std::move(grant), std::nullopt};
  };
  hooks.persist = [this](const std::string& profile, const store::Credentials& credentials) {
    return store->save(profile, credentials);
  };
  hooks.reload = [this](const std::string& profile) -> asio::awaitable<std::optional<store::Credentials>> {
    auto all = co_await store->load_all();
    if (!all) co_return std::nullopt;
    auto it = all->find(profile);
    if (it == all->end()) co_return std::nullopt;
    co_return std::move(it->second);
  };
  return hooks;
}

asio::awaitable<proto::Result<proto::TokenReply>> App::State::on(const proto::GetToken& request, const server::Peer&) {
  const std::string profile = resolve(request.profile);
  if (request.min_valid < 0) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "--min-valid must not be negative"};
  }
  const auto min_valid = std::chrono::seconds(request.min_valid);
  if (!cache.find(profile)) {
    if (auto status = co_await ensure_loaded(); !status) co_return std::move(status).error();
  }
  for (int round = 0;; ++round) {
    const auto* entry = cache.find(profile);
    if (entry && !entry->credentials.api_key.empty()) {
      // A profile holding an API key serves the key: it does not expire and is never refreshed.
      proto::TokenReply reply;
      reply.profile = profile;
      reply.token = entry->credentials.api_key;
      co_return reply;
    }
    if (!entry && config.profiles.empty() && cache.entries().empty()) {
      // First run: nothing to choose between, so one next step (a first login needs no set-up).
      co_return proto::Error{proto::ErrorCode::login_required, "no profile is set up yet: run `fluxloop auth login`"};
    }
    if (!entry || (entry->credentials.access_token.empty() && entry->credentials.refresh_token.empty())) {
      co_return proto::Error{proto::ErrorCode::login_required,
                             "no credentials for profile '" + profile + "': " + login_hint(profile)};
    }
    if (entry->valid_for(min_valid)) {
      proto::TokenReply reply;
      reply.profile = profile;
      reply.token = entry->credentials.access_token;
      if (entry->expires) reply.expires_at = tokens::format_rfc3339(tokens::to_system_time(*entry->expires));
      co_return reply;
    }
    if (entry->login_required || entry->credentials.refresh_token.empty()) {
      co_return proto::Error{proto::ErrorCode::login_required,
                             "the access token of profile '" + profile + "' has expired and cannot be refreshed: " +
                                 login_hint(profile)};
    }
    if (round == kMaxRefreshRounds) break;
    auto refreshed = co_await refresher->refresh(profile, tokens::Refresher::Mode::respect_backoff);
    if (!refreshed) {
      const auto* now = cache.find(profile);
      auto error = std::move(refreshed).error();
      if (now && now->valid_for(std::chrono::seconds(0))) {
        error.message = "cannot get a token valid for " + std::to_string(request.min_valid) +
                        " s for profile '" + profile + "': " + error.message;
      }
      co_return error;
    }
  }
  co_return proto::Error{proto::ErrorCode::invalid_argument,
                         "the server issues tokens for profile '" + profile + "' that are valid for less than --min-valid " +
                             std::to_string(request.min_valid) + " s"};
}

asio::awaitable<proto::Result<proto::RefreshReply>> App::State::on(const proto::AuthRefresh& request, const server::Peer&) {
  const std::string profile = resolve(request.profile);
  if (!cache.find(profile)) {
    if (auto status = co_await ensure_loaded(); !status) co_return std::move(status).error();
    if (!cache.find(profile)) {
      co_return proto::Error{proto::ErrorCode::login_required,
                             "no credentials for profile '" + profile + "': " + login_hint(profile)};
    }
  }
  if (const auto* entry = cache.find(profile); entry && !entry->credentials.api_key.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "profile '" + profile + "' holds an API key, which never expires: there is nothing to refresh"};
  }
  if (auto refreshed = co_await refresher->refresh(profile, tokens::Refresher::Mode::force); !refreshed) {
    co_return std::move(refreshed).error();
  }
  proto::RefreshReply reply;
  reply.profile = profile;
  if (const auto* entry = cache.find(profile); entry && entry->expires) {
    reply.expires_at = tokens::format_rfc3339(tokens::to_system_time(*entry->expires));
  }
  co_return reply;
}

asio::awaitable<proto::Result<proto::LogoutReply>> App::State::on(const proto::AuthLogout& request, const server::Peer&) {
  const std::string profile = resolve(request.profile);
  co_await ensure_loaded();
  proto::LogoutReply reply;
  reply.profile = profile;
  co_await refresher->wait_idle(profile);
  const auto* entry = cache.find(profile);
  if (!entry) {
    reply.warning = "profile '" + profile + "' was not logged in";
    co_return reply;
  }
  const store::Credentials credentials = entry->credentials;
  const auto client = oauth_client_of(profile, credentials);

  // Revoke first (RFC 7009), then forget. Revoking the refresh token ends the whole grant at
  // most servers; the access token is revoked too for servers that track them separately.
  if (client.issuer.empty()) {
    reply.warning = "no issuer known for this profile, so nothing was revoked at the server";
  } else if (auto metadata = co_await metadata_of(client); !metadata) {
    reply.warning = "could not reach the server to revoke the tokens (" + metadata.error().message + ")";
  } else if (metadata->revocation_endpoint.empty()) {
    reply.warning = "the server offers no revocation endpoint; the tokens stay valid there until they expire";
  } else {
    bool all_revoked = true;
    std::string failure;
    auto revoke = [&](const std::string& token, oauth::TokenTypeHint hint) -> asio::awaitable<void> {
      if (token.empty()) co_return;
      oauth::RevokeRequest revoke_request{metadata->revocation_endpoint, client.client_id, token, hint};
      auto revoked = co_await oauth::revoke_token(*http, std::move(revoke_request));
      if (!revoked) {
        all_revoked = false;
        failure = revoked.error().message;
      }
    };
    co_await revoke(credentials.refresh_token, oauth::TokenTypeHint::refresh_token);
    co_await revoke(credentials.access_token, oauth::TokenTypeHint::access_token);
    reply.revoked = all_revoked;
    if (!all_revoked) reply.warning = "could not revoke at the server (" + failure + "); forgot the tokens locally";
  }
  // Forget even when revocation failed: logout must work offline.
  if (auto erased = co_await store->erase(profile); !erased) co_return std::move(erased).error();
  cache.erase(profile);
  refresher->forget(profile);
  sweeper->disarm(profile);
  if (reply.warning.empty()) spdlog::info("logged out of profile {} (tokens revoked)", profile);
  else spdlog::warn("logged out of profile {}: {}", profile, reply.warning);
  co_return reply;
}

}  // namespace agentd
