// Where the agent's socket lives, resolved from the environment the same way on both sides.
#pragma once

#include <string>

namespace proto {

// FLUXLOOP_AGENT_SOCK, else $XDG_RUNTIME_DIR/fluxloop/agent.sock, else /tmp/fluxloop-$UID/agent.sock.
std::string default_socket_path();

}  // namespace proto
