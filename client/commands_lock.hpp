// `fluxloop agent lock` / `agent unlock`: lock the agent with a passphrase (like ssh-add -x / -X).
#pragma once

#include "client/app.hpp"

namespace client {

struct AgentLockOptions {
  int passphrase_fd = -1;  // --passphrase-fd N: read the passphrase from descriptor N (scripts); -1: the terminal
};

// Asks for a passphrase twice (terminal, no echo) or once (--passphrase-fd) and locks the agent:
// it serves no secret until unlocked. Never starts an agent. Returns the exit code.
int agent_lock(App& app, const AgentLockOptions& options);
// Asks for the passphrase once and unlocks; a wrong one exits 5.
int agent_unlock(App& app, const AgentLockOptions& options);

}  // namespace client
