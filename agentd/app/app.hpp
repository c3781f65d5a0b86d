// The agent's application object: owns the services (agentd/app/services) and the request handlers
// (agentd/app/*.hpp), and dispatches each decoded request to its handler.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/app/services/settings.hpp"
#include "agentd/server/request_handler.hpp"
#include "proto/result.hpp"

namespace agentd::app {

// The server's request handler: one per agent.
class App final : public server::RequestHandler {
 public:
  // Builds the services and handlers; nothing is read or started before start().
  App(boost::asio::any_io_executor executor, AppOptions options);
  ~App() override;

  // Loads configuration, selects the secret store and loads credentials. An error here is a
  // start-up failure (reported, exit 1).
  boost::asio::awaitable<proto::Status> start();
  // Decodes one request, refuses it if the lock says so (agentd/lock/gate.hpp), else runs its
  // handler; audits it and encodes the reply or the error.
  boost::asio::awaitable<std::string> handle(const server::Peer& peer, std::string_view body) override;
  // get_token in the exact shape the client sends (agentd/app/token_scan.hpp), not locked, answered
  // from the token cache; anything else returns false and takes handle().
  bool answer_now(const server::Peer& peer, std::string_view body, std::string& reply) override;
  // Counts a refused other-uid peer for anomaly detection (agentd/audit).
  void peer_rejected(const server::Peer& peer) noexcept override;
  // Cancels the agent's own timers (refresh schedules) so the io_context can run dry.
  void shutdown();

 private:
  struct Parts;  // the services and handlers (agentd/app/app.cpp)
  std::unique_ptr<Parts> parts_;
};

}  // namespace agentd::app
