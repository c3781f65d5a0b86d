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

tokens::RefresherHooks App::State::refresher_hooks() {
  tokens::RefresherHooks hooks;
  // The profile's kind performs the grant (agentd/kinds): OIDC refresh_token grant, CLI connect refresh.
  hooks.refresh = [this](const std::string& profile, store::Credentials current) -> asio::awaitable<tokens::Attempt> {
    const kinds::ProfileView view = view_of(profile);
    auto attempt = co_await kind_of(view).refresh(view, std::move(current));
    co_return attempt;
  };
  hooks.changed = [this](const std::string& profile) { credentials_changed(profile, CredentialChange::refreshed); };
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
  // Revoke first (the profile's kind: RFC 7009, or nothing where the platform has no revocation),
  // then forget.
  const kinds::ProfileView view = view_of(profile);
  if (credentials.api_key.empty()) {
    const auto revocation = co_await kind_of(view).revoke(view, credentials);
    reply.revoked = revocation.revoked;
    reply.warning = revocation.warning;
  } else {
    reply.warning = "the profile held an API key, which stays valid at the platform: revoke it with `fluxloop apikeys revoke`";
  }
  // Forget even when revocation failed: logout must work offline.
  if (auto erased = co_await store->erase(profile); !erased) co_return std::move(erased).error();
  cache.erase(profile);
  refresher->forget(profile);
  sweeper->disarm(profile);
  credentials_changed(profile, CredentialChange::forgotten);
  if (reply.warning.empty()) spdlog::info("logged out of profile {} (tokens revoked)", profile);
  else spdlog::warn("logged out of profile {}: {}", profile, reply.warning);
  co_return reply;
}

}  // namespace agentd
