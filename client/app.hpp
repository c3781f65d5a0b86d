// Shared context of one client run: the environment it read, and the connection to the agent
// (opened on first use, starting an agent when allowed). Commands take an App& and make requests.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "client/agent_connection.hpp"
#include "client/outcome.hpp"

namespace client {

// How long one ordinary request may take. Long operations (login, refresh) pass their own.
inline constexpr int kRequestTimeoutMs = 30'000;

// The variables the client reads, captured once at start-up (CONTRACT.md "Environment").
struct Environment {
  std::string socket_path;  // FLUXLOOP_AGENT_SOCK or the default (proto::default_socket_path)
  bool socket_is_default = true;  // no FLUXLOOP_AGENT_SOCK: the directory is checked, the home consulted
  std::string home;         // FLUXLOOP_HOME, else $HOME/.fluxloop ("" without either)
  std::string profile;      // FLUXLOOP_PROFILE
  std::string token;        // FLUXLOOP_TOKEN (a secret: never print it except as `auth token`'s value)
  std::string api_key;      // FLUXLOOP_API_KEY, else its alias FLUXLOOP_SYNC_API_KEY (a secret, likewise)
  std::string api_endpoint; // FLUXLOOP_API_ENDPOINT, else its aliases FLUXLOOP_API_URL, FLUXLOOP_SYNC_URL:
                            // overrides the profile's API endpoint
  bool no_autostart = false;  // FLUXLOOP_NO_AUTOSTART=1

  // The variables as `get` (name -> value, "" when unset) reports them, aliases applied.
  static Environment from(const std::function<std::string(const char*)>& get);
  static Environment from_process();
};

// Overwrites with 'x' in argv's own memory (what /proc/PID/cmdline and ps show) the value of every
// --api-key (also --api-key=KEY) and every argument that is an API key (flx_api_…, flx_sa_…). Call
// right after parsing: the parsed copies live on, the visible ones are gone.
void scrub_secret_arguments(int argc, char** argv) noexcept;

// Whether a request may start an agent when none answers. `agent stop` must not.
enum class Autostart { allowed, never };

class App {
 public:
  explicit App(Environment env) : env_(std::move(env)) {}

  const Environment& env() const { return env_; }

  // Sends one request to the agent (connecting first if needed) and waits for its reply.
  template <typename Req>
  Outcome<typename Req::Reply> call(const Req& request, Autostart autostart = Autostart::allowed,
                                    int timeout_ms = kRequestTimeoutMs) {
    auto connection = connect(autostart);
    if (!connection) return std::move(connection).error();
    return (*connection)->call(request, timeout_ms);
  }

  // The open connection, connecting on first use. For the default socket path its directory must be
  // ours and 0700 (exit 5), and when nobody listens there the socket recorded in the home's agent.lock
  // is tried (the agent of this FLUXLOOP_HOME serving another path). When still nobody listens and
  // autostart is allowed (and FLUXLOOP_NO_AUTOSTART is not 1), starts `fluxloop-agentd --daemon` and
  // retries once. A server of another uid is refused (exit 5). Other failures exit 4 and say what to do.
  Outcome<AgentConnection*> connect(Autostart autostart);
  // Closes the connection (an agent asked to stop may wait for its clients to hang up).
  void disconnect() { connection_.reset(); }
  // The socket the connection went to (it may be the home's agent, not env().socket_path); before
  // connecting, env().socket_path.
  const std::string& socket_path() const { return connected_path_.empty() ? env_.socket_path : connected_path_; }

 private:
  Environment env_;
  std::optional<AgentConnection> connection_;
  std::string connected_path_;
};

}  // namespace client
