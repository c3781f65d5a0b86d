// Handlers that keep tokens valid: get_token (refreshing on demand), auth_refresh, auth_logout.
#pragma once

#include "agentd/app/handled.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/settings.hpp"
#include "proto/messages.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace agentd::app {

// The token ops; the refresher (in Credentials) does single-flight, backoff and persistence.
class TokenHandlers {
 public:
  TokenHandlers(const services::Settings& settings, services::Credentials& credentials)
      : settings_(settings), credentials_(credentials) {}
  // A token valid for at least min_valid seconds (a profile's API key as it is), refreshed when needed.
  Handled<proto::GetToken> on(const proto::GetToken& request);
  // get_token's hot path: puts into `frame` the reply kept with the cache entry of `profile` (already
  // resolved) when its token is valid for `min_valid` seconds (or the profile holds an API key) and
  // returns true; else false (frame untouched) and the request takes on(). The caller has checked
  // the lock. No allocation once `frame` has held a reply.
  bool cached_reply(std::uint64_t id, std::string_view profile, std::int64_t min_valid, std::string& frame);
  // Refreshes now, whatever the token's age.
  Handled<proto::AuthRefresh> on(const proto::AuthRefresh& request);
  // Forgets the profile's credentials, then has its kind revoke them where it can.
  Handled<proto::AuthLogout> on(const proto::AuthLogout& request);

 private:
  const services::Settings& settings_;
  services::Credentials& credentials_;
};

}  // namespace agentd::app
