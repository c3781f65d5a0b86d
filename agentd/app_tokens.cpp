// Handlers that keep tokens valid: get_token (refreshing on demand), auth_refresh, auth_logout,
// and the refresher's hooks onto the OAuth client and the secret store.
#include <spdlog/spdlog.h>

#include "agentd/app_state.hpp"
#include "agentd/oauth/token_client.hpp"
#include "agentd/oauth/tokens.hpp"
#include "agentd/tokens/token_reply.hpp"

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

proto::Status App::State::bind_arrival(const std::string& profile, store::Credentials& credentials) const {
  auto it = config.profiles.find(profile);
  if (it == config.profiles.end()) return proto::Ok{};  // nothing configured: they keep what they came with
  const config::Profile& configured = it->second;
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

std::optional<std::string> App::State::cached_token_reply(std::uint64_t id, const proto::GetToken& request) {
  if (refuse_secret() || request.min_valid < 0) return std::nullopt;
  const std::string profile = resolve(request.profile);
  auto* entry = cache.find(profile);
  if (!entry || (entry->credentials.api_key.empty() && !entry->valid_for(std::chrono::seconds(request.min_valid)))) {
    return std::nullopt;
  }
  return tokens::token_reply_frame(id, profile, *entry);
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
  // Forget first, revoke after. No new refresh may start for this profile from here on (the
  // scheduler's entry is gone and on-demand refreshes find no credentials), and one in flight lands
  // before we read the tokens: it saves nothing once the entry is gone, and its rotated tokens are
  // the ones revoked below.
  refresher->forget(profile);
  co_await refresher->wait_idle(profile);
  const auto* entry = cache.find(profile);
  if (!entry) {
    reply.warning = "profile '" + profile + "' was not logged in";
    co_return reply;
  }
  const store::Credentials credentials = entry->credentials;
  // Forget first (no refresh can land on it any more), revoke after: the profile's kind (RFC 7009,
  // or nothing where the platform has no revocation) revokes what was forgotten.
  const kinds::ProfileView view = view_of(profile);
  cache.erase(profile);
  refresher->forget(profile);  // again: the refresh that landed meanwhile scheduled the next one
  sweeper->disarm(profile);
  if (auto erased = co_await store->erase(profile); !erased) {
    // Still stored: keep serving them rather than hold less in memory than on disk.
    if (!cache.find(profile)) remember(profile, credentials);
    co_return std::move(erased).error();
  }
  credentials_changed(profile, CredentialChange::forgotten);
  if (credentials.api_key.empty()) {
    const auto revocation = co_await kind_of(view).revoke(view, credentials);
    reply.revoked = revocation.revoked;
    reply.warning = revocation.warning;
  } else {
    reply.warning = "the profile held an API key, which stays valid at the platform: revoke it with `fluxloop apikeys revoke`";
  }
  // Forgotten above even when revocation fails: logout must work offline.
  if (reply.warning.empty()) spdlog::info("logged out of profile {} (tokens revoked)", profile);
  else spdlog::warn("logged out of profile {}: {}", profile, reply.warning);
  co_return reply;
}

}  // namespace agentd
