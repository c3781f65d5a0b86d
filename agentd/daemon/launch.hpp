// How this agent was started, for `fluxloop agent status`: which systemd unit runs it, if any.
#pragma once

#include <string>

namespace agentd::daemon {

// The systemd unit running this process ("fluxloop-agentd.service"), read from its cgroup, when
// systemd started it (INVOCATION_ID is set); "" otherwise, e.g. an agent autostarted from a terminal,
// whose cgroup names the terminal's unit rather than ours.
std::string systemd_unit();

}  // namespace agentd::daemon
