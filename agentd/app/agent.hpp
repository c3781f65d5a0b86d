// Handlers of the agent itself: agent_status, agent_stop.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "agentd/app/handled.hpp"
#include "agentd/app/services/credentials.hpp"
#include "agentd/app/services/lock.hpp"
#include "agentd/app/services/settings.hpp"
#include "agentd/server/request_handler.hpp"
#include "proto/messages.hpp"

namespace agentd::audit {
class Monitor;
}

namespace agentd::app {

// The ops about the agent process.
class AgentHandlers {
 public:
  AgentHandlers(boost::asio::any_io_executor executor, const services::Settings& settings,
                services::Credentials& credentials, const services::Lock& lock, audit::Monitor& monitor);
  // Version, store, lock, usage figures: never a secret.
  Handled<proto::AgentStatus> on(const proto::AgentStatus& request);
  // Stops the agent shortly after the reply is sent.
  Handled<proto::AgentStop> on(const proto::AgentStop& request, const server::Peer& peer);

 private:
  boost::asio::any_io_executor executor_;
  const services::Settings& settings_;
  services::Credentials& credentials_;
  const services::Lock& lock_;
  audit::Monitor& monitor_;
};

}  // namespace agentd::app
