// `fluxloop agent …`: the agent process itself.
#pragma once

#include "client/app.hpp"

namespace client {

struct AgentStatusOptions {
  bool json = false;
};

// Reports the running agent (starting one first when none runs, like every other command).
int agent_status(App& app, const AgentStatusOptions& options);
// Asks the agent to exit and waits until its socket stops answering. Never starts an agent: with
// none running it says so and succeeds.
int agent_stop(App& app);

}  // namespace client
