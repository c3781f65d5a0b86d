// Every request handler, one class per concern, joined into one overload set for the dispatch
// (agentd/app/app.cpp): a request type without a handler, or a handler whose reply type is not its
// request's Reply, does not compile. Adding a concern: one base class and one `using` line here.
#pragma once

#include <type_traits>

#include "agentd/app/agent.hpp"
#include "agentd/app/api.hpp"
#include "agentd/app/apikeys.hpp"
#include "agentd/app/auth.hpp"
#include "agentd/app/bridge.hpp"
#include "agentd/app/handled.hpp"
#include "agentd/app/lock.hpp"
#include "agentd/app/login.hpp"
#include "agentd/app/profiles.hpp"
#include "agentd/app/redact.hpp"
#include "agentd/app/tokens.hpp"
#include "agentd/server/request_handler.hpp"

namespace agentd::app {

// The rooms. A handler takes the request (mutable only where it must wipe it) and, when it needs
// it, the peer.
struct Handlers : AgentHandlers,
                  ProfileHandlers,
                  AuthHandlers,
                  TokenHandlers,
                  LoginHandlers,
                  LockHandlers,
                  ApiKeyHandlers,
                  ApiHandlers,
                  RedactHandlers,
                  BridgeHandlers {
  Handlers(const boost::asio::any_io_executor& executor, services::Settings& settings, services::Credentials& credentials,
           services::Lock& lock, services::Logins& logins, services::Platform& platform, services::Bridge& bridge,
           audit::Monitor& monitor)
      : AgentHandlers(executor, settings, credentials, lock, monitor),
        ProfileHandlers(settings, credentials),
        AuthHandlers(settings, credentials, logins, monitor),
        TokenHandlers(settings, credentials),
        LoginHandlers(settings, credentials, logins),
        LockHandlers(lock),
        ApiKeyHandlers(settings, credentials, platform),
        ApiHandlers(platform),
        RedactHandlers(settings, credentials),
        BridgeHandlers(settings, credentials, bridge) {}

  using AgentHandlers::on;
  using ProfileHandlers::on;
  using AuthHandlers::on;
  using TokenHandlers::on;
  using LoginHandlers::on;
  using LockHandlers::on;
  using ApiKeyHandlers::on;
  using ApiHandlers::on;
  using RedactHandlers::on;
  using BridgeHandlers::on;
};

// Handles `request` with the one handler of its type, passing `peer` to handlers that take it.
template <typename Request>
Handled<Request> handle(Handlers& handlers, Request& request, const server::Peer& peer) {
  if constexpr (requires { handlers.on(request, peer); }) {
    static_assert(std::is_same_v<decltype(handlers.on(request, peer)), Handled<Request>>,
                  "a handler returns Handled<Request>: its request's Reply, or an error");
    return handlers.on(request, peer);
  } else {
    static_assert(requires { handlers.on(request); }, "every request of proto::Request needs a handler in agentd/app");
    static_assert(std::is_same_v<decltype(handlers.on(request)), Handled<Request>>,
                  "a handler returns Handled<Request>: its request's Reply, or an error");
    return handlers.on(request);
  }
}

}  // namespace agentd::app
