// Where the agent's socket lives, resolved from the environment the same way on both sides, and the
// record of the running agent in FLUXLOOP_HOME that lets a client find it (docs/agent.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace proto {

// FLUXLOOP_AGENT_SOCK, else $XDG_RUNTIME_DIR/fluxloop/agent.sock, else /tmp/fluxloop-$UID/agent.sock.
std::string default_socket_path();

// True when FLUXLOOP_AGENT_SOCK names the socket (an empty value counts as unset).
bool socket_path_from_environment();

// The lock file an agent holds (flock) for its whole life in its FLUXLOOP_HOME: one agent per home.
inline constexpr std::string_view kHomeLockName = "agent.lock";
// Largest agent.lock content read back.
inline constexpr std::size_t kMaxHomeLockBytes = 4096;

// What agent.lock holds: the agent's pid and the absolute path of the socket it serves.
struct AgentRecord {
  long pid = 0;
  std::string socket;
};

// "PID\nSOCKET\n".
std::string format_agent_record(const AgentRecord& record);
// The record in `text`; nullopt unless it holds a positive pid and an absolute socket path without
// control characters.
std::optional<AgentRecord> parse_agent_record(std::string_view text);

}  // namespace proto
