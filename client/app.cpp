#include "client/app.hpp"

#include <cstdlib>
#include <functional>
#include <initializer_list>

#include "client/autostart.hpp"
#include "proto/paths.hpp"

namespace client {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

std::string first_set(const std::function<std::string(const char*)>& get, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (std::string value = get(name); !value.empty()) return value;
  }
  return {};
}

}  // namespace

Environment Environment::from(const std::function<std::string(const char*)>& get) {
  Environment e;
  e.socket_path = proto::default_socket_path();
  e.profile = get("FLUXLOOP_PROFILE");
  e.token = get("FLUXLOOP_TOKEN");
  // The platform CLI's names are aliases; the contract's own name wins when both are set.
  e.api_key = first_set(get, {"FLUXLOOP_API_KEY", "FLUXLOOP_SYNC_API_KEY"});
  e.api_endpoint = first_set(get, {"FLUXLOOP_API_ENDPOINT", "FLUXLOOP_API_URL", "FLUXLOOP_SYNC_URL"});
  e.no_autostart = get("FLUXLOOP_NO_AUTOSTART") == "1";
  return e;
}

Environment Environment::from_process() { return from(env); }

Outcome<AgentConnection*> App::connect(Autostart autostart) {
  if (connection_) return &*connection_;
  const std::string& path = env_.socket_path;
  auto first = AgentConnection::open(path);
  if (first) return &connection_.emplace(std::move(first).value());

  Failure failure = std::move(first).failure();
  if (failure.kind != FailureKind::no_listener) {
    failure.message += ": check that FLUXLOOP_AGENT_SOCK names the socket of your own agent";
    return failure;
  }
  if (autostart == Autostart::never) return failure;  // the caller words this case itself
  if (env_.no_autostart) {
    failure.message += ": start it with `fluxloop-agentd --daemon`, or unset FLUXLOOP_NO_AUTOSTART";
    return failure;
  }

  auto started = start_agent(path);
  // Retry even when the start failed: a second client racing us may have started the agent, and
  // then our own agentd exits non-zero ("agent already running") while the socket does answer.
  auto second = AgentConnection::open(path);
  if (second) return &connection_.emplace(std::move(second).value());
  Failure again = std::move(second).failure();
  if (!started) {
    again.message += "; " + started.failure().message;
  } else {
    again.message += " although fluxloop-agentd --daemon reported success; run `fluxloop-agentd --foreground --socket " +
                     path + "` to see what it does";
  }
  again.kind = FailureKind::unreachable;
  return again;
}

}  // namespace client
