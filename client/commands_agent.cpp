#include "client/commands_agent.hpp"

#include <time.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "client/output.hpp"
#include "client/render.hpp"

namespace client {
namespace {

// How long `agent stop` waits for the socket to go quiet; the agent finishes in-flight requests first.
constexpr auto kStopWait = std::chrono::seconds(10);
constexpr auto kStopPoll = std::chrono::milliseconds(10);

}  // namespace

int agent_status(App& app, const AgentStatusOptions& options) {
  auto reply = app.call(proto::AgentStatus{});
  if (!reply) return report(reply.error());
  if (options.json) {
    print_message_json(*reply);
  } else {
    print_value(render_agent_status(*reply));
  }
  return proto::kExitOk;
}

int agent_stop(App& app) {
  auto reply = app.call(proto::AgentStop{}, Autostart::never);
  if (!reply) {
    if (reply.error().kind == FailureKind::no_listener) {
      note("no agent is running at " + app.env().socket_path + "; nothing to stop");
      return proto::kExitOk;
    }
    return report(reply.error());
  }
  const std::string stopped = app.socket_path();  // perhaps the home's agent, not the default path
  app.disconnect();
  // Wait until it is gone, so `fluxloop agent stop && fluxloop-agentd --daemon` does not race the
  // old agent for the socket.
  const auto deadline = std::chrono::steady_clock::now() + kStopWait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto probe = AgentConnection::open(stopped);
    if (!probe) {
      note("agent stopped");
      return proto::kExitOk;
    }
    timespec ts{0, static_cast<long>(std::chrono::nanoseconds(kStopPoll).count())};
    ::nanosleep(&ts, nullptr);
  }
  return report(Failure{proto::kExitError, "the agent at " + stopped + " accepted the stop request but still answers after " +
                                        std::to_string(kStopWait.count()) + " s; check `fluxloop agent status`, or end it with SIGTERM"});
}

}  // namespace client
