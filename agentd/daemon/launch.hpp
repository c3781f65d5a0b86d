// How this agent was started, for `fluxloop agent status`: which systemd unit runs it, if any.
#pragma once

#include <string>
#include <string_view>

namespace agentd::daemon {

// The systemd unit running this process ("fluxloop-agentd.service"), read from its cgroup, when
// systemd started it (INVOCATION_ID is set); "" otherwise, e.g. an agent autostarted from a terminal,
// whose cgroup names the terminal's unit rather than ours.
std::string systemd_unit();

// The unit a cgroup file names, as libsystemd's sd_pid_get_user_unit, else sd_pid_get_unit, reads it:
// `self` is /proc/PID/cgroup, `init` /proc/1/cgroup (the container's root, shifted away; may be "").
// A user manager's unit (below user@UID.service or a session scope) first, else the system unit; "" if none.
std::string unit_from_cgroup(std::string_view self, std::string_view init);

}  // namespace agentd::daemon
