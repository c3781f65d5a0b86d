// The agent's application object: configuration, secret store, token cache and request dispatch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/server/request_handler.hpp"
#include "proto/result.hpp"

namespace agentd {

struct AppOptions {
  std::string home;         // FLUXLOOP_HOME
  std::string socket_path;  // shown in agent status
  std::string forced_store; // FLUXLOOP_STORE
  std::int64_t lifetime_seconds = 0;  // --lifetime: credentials forgotten this long after they arrive (0: never)
  std::string launch;       // "systemd-socket", "daemon" or "foreground": shown in agent status
  std::string unit;         // the systemd unit running the agent, "" when none
  std::function<void()> request_stop;                  // called for the agent_stop op
  std::function<std::int64_t()> connection_count;      // open connections, for agent status
};

class App final : public server::RequestHandler {
 public:
  App(boost::asio::any_io_executor executor, AppOptions options);
  ~App() override;

  // Loads configuration, selects the secret store and loads credentials. An error here is a
  // start-up failure (reported, exit 1).
  boost::asio::awaitable<proto::Status> start();
  boost::asio::awaitable<std::string> handle(const server::Peer& peer, std::string_view body) override;
  // Counts a refused other-uid peer for anomaly detection (agentd/audit).
  void peer_rejected(const server::Peer& peer) noexcept override;
  // Cancels the agent's own timers (refresh schedules) so the io_context can run dry.
  void shutdown();

  struct State;  // defined in agentd/app_state.hpp, for the handler files only

 private:
  std::unique_ptr<State> state_;
};

}  // namespace agentd
