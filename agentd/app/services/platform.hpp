// Platform and keys: requests to the FluxLoop API with the credentials the agent holds
// (agentd/platform), and the pending revocations of rotated API keys.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/settings.hpp"
#include "agentd/platform/client.hpp"
#include "agentd/platform/revocations.hpp"
#include "proto/messages.hpp"
#include "proto/messages_platform.hpp"

namespace agentd::app::services {

// Sends platform requests for a Target and keeps the revocations of rotated keys.
class Platform {
 public:
  // A valid access token of a profile, as get_token serves it (refreshed on demand).
  using TokenSource = std::function<boost::asio::awaitable<proto::Result<proto::TokenReply>>(const proto::GetToken&)>;

  Platform(boost::asio::any_io_executor executor, const Settings& settings, Credentials& credentials,
           http::Client& http, TokenSource token);
  ~Platform();

  // Sends `call` for `target` (platform::send with the agent's credentials: a given bearer, the
  // profile's API key, else its access token refreshed as get_token does).
  boost::asio::awaitable<proto::Result<platform::Answer>> send(const proto::Target& target, platform::Call call,
                                                               platform::Expect expect);
  // The API endpoint of a profile: the one bound to its credentials, else its configuration's, else the default.
  std::string api_endpoint_of(const std::string& profile) const;

  // At agent start (after the store is loaded): re-arms rotations.json with `revoke`; overdue
  // revocations run at once. Failures are logged, never fatal. stop_revocations() at shutdown.
  void start_revocations(platform::Revocations::Revoke revoke);
  void stop_revocations();
  // Schedules the revocation of a rotated key durably; an error when it cannot be recorded.
  proto::Status schedule_revocation(const platform::PendingRevocation& pending);

 private:
  boost::asio::awaitable<proto::Result<platform::Bearer>> credential_of(const proto::Target& target);

  boost::asio::any_io_executor executor_;
  const Settings& settings_;
  Credentials& credentials_;
  http::Client& http_;
  TokenSource token_;
  std::shared_ptr<platform::Revocations> revocations_;
};

}  // namespace agentd::app::services
