// Handlers that keep tokens valid: get_token (refreshing on demand), auth_refresh, auth_logout.
#include <spdlog/spdlog.h>

#include "agentd/app/tokens.hpp"

#include "agentd/tokens/clock.hpp"
#include "agentd/tokens/token_reply.hpp"

namespace agentd::app {
namespace {
namespace asio = boost::asio;

std::string login_hint(const std::string& profile) {
  return "run `fluxloop auth login --profile " + profile + "` or `fluxloop auth import FILE --profile " + profile + "`";
}

// An on-demand refresh may adopt newer credentials from the store, which can themselves need a
// refresh: allow that one extra round, never a loop.
constexpr int kMaxRefreshRounds = 2;

}  // namespace

bool TokenHandlers::cached_reply(std::uint64_t id, std::string_view profile, std::int64_t min_valid, std::string& frame) {
  if (min_valid < 0) return false;
  auto* entry = credentials_.cache().find(profile);
  if (!entry || (entry->credentials.api_key.empty() && !entry->valid_for(std::chrono::seconds(min_valid)))) {
    return false;
  }
  return tokens::token_reply_frame(id, profile, *entry, frame);
}

Handled<proto::GetToken> TokenHandlers::on(const proto::GetToken& request) {
  const std::string profile = settings_.resolve(request.profile);
  if (request.min_valid < 0) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "--min-valid must not be negative"};
  }
  const auto min_valid = std::chrono::seconds(request.min_valid);
  if (!credentials_.cache().find(profile)) {
    if (auto status = co_await credentials_.ensure_loaded(); !status) co_return std::move(status).error();
  }
  for (int round = 0;; ++round) {
    const auto* entry = credentials_.cache().find(profile);
    if (entry && !entry->credentials.api_key.empty()) {
      // A profile holding an API key serves the key: it does not expire and is never refreshed.
      proto::TokenReply reply;
      reply.profile = profile;
      reply.token = entry->credentials.api_key;
      co_return reply;
    }
    if (!entry && settings_.config().profiles.empty() && credentials_.cache().entries().empty()) {
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
    auto refreshed = co_await credentials_.refresher().refresh(profile, tokens::Refresher::Mode::respect_backoff);
    if (!refreshed) {
      const auto* now = credentials_.cache().find(profile);
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

Handled<proto::AuthRefresh> TokenHandlers::on(const proto::AuthRefresh& request) {
  const std::string profile = settings_.resolve(request.profile);
  if (!credentials_.cache().find(profile)) {
    if (auto status = co_await credentials_.ensure_loaded(); !status) co_return std::move(status).error();
    if (!credentials_.cache().find(profile)) {
      co_return proto::Error{proto::ErrorCode::login_required,
                             "no credentials for profile '" + profile + "': " + login_hint(profile)};
    }
  }
  if (const auto* entry = credentials_.cache().find(profile); entry && !entry->credentials.api_key.empty()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "profile '" + profile + "' holds an API key, which never expires: there is nothing to refresh"};
  }
  if (auto refreshed = co_await credentials_.refresher().refresh(profile, tokens::Refresher::Mode::force); !refreshed) {
    co_return std::move(refreshed).error();
  }
  proto::RefreshReply reply;
  reply.profile = profile;
  if (const auto* entry = credentials_.cache().find(profile); entry && entry->expires) {
    reply.expires_at = tokens::format_rfc3339(tokens::to_system_time(*entry->expires));
  }
  co_return reply;
}

Handled<proto::AuthLogout> TokenHandlers::on(const proto::AuthLogout& request) {
  const std::string profile = settings_.resolve(request.profile);
  co_await credentials_.ensure_loaded();
  proto::LogoutReply reply;
  reply.profile = profile;
  // Forget first, revoke after. No new refresh may start for this profile from here on (the
  // scheduler's entry is gone and on-demand refreshes find no credentials), and one in flight lands
  // before we read the tokens: it saves nothing once the entry is gone, and its rotated tokens are
  // the ones revoked below.
  credentials_.refresher().forget(profile);
  co_await credentials_.refresher().wait_idle(profile);
  const auto* entry = credentials_.cache().find(profile);
  if (!entry) {
    reply.warning = "profile '" + profile + "' was not logged in";
    co_return reply;
  }
  const store::Credentials credentials = entry->credentials;
  // Forget first (no refresh can land on it any more), revoke after: the profile's kind (RFC 7009,
  // or nothing where the platform has no revocation) revokes what was forgotten.
  const kinds::ProfileView view = credentials_.view_of(profile);
  credentials_.drop(profile);  // forgets its refresh again: the refresh that landed meanwhile scheduled the next one
  if (auto erased = co_await credentials_.store().erase(profile); !erased) {
    // Still stored: keep serving them rather than hold less in memory than on disk.
    if (!credentials_.cache().find(profile)) credentials_.remember(profile, credentials);
    co_return std::move(erased).error();
  }
  credentials_.changed(profile, services::CredentialChange::forgotten);
  if (credentials.api_key.empty()) {
    const auto revocation = co_await credentials_.kind_of(view).revoke(view, credentials);
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

}  // namespace agentd::app
