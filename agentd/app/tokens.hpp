// Handlers that keep tokens valid: get_token (refreshing on demand), auth_refresh, auth_logout.
#pragma once

#include "agentd/app/handled.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/messages.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace agentd::app {

// The token ops; the refresher (in Credentials) does single-flight, backoff and persistence.
class TokenHandlers {
 public:
  TokenHandlers(const services::Settings& settings, services::Credentials& credentials)
      : settings_(settings), credentials_(credentials) {}
  // A token valid for at least min_valid seconds (a profile's API key as it is), refreshed when needed.
  Handled<proto::GetToken> on(const proto::GetToken& request);
  // get_token's hot path: the reply frame kept with the cache entry when the token is valid for
  // min_valid (or the profile holds an API key), else nullopt and the request takes on(). The caller
  // has checked the lock.
  std::optional<std::string> cached_reply(std::uint64_t id, const proto::GetToken& request);
  // Refreshes now, whatever the token's age.
  Handled<proto::AuthRefresh> on(const proto::AuthRefresh& request);
  // Forgets the profile's credentials, then has its kind revoke them where it can.
  Handled<proto::AuthLogout> on(const proto::AuthLogout& request);

 private:
  const services::Settings& settings_;
  services::Credentials& credentials_;
};

}  // namespace agentd::app
