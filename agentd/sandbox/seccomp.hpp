// The agent's seccomp filter (docs/security.md, "Fuzzing and sandbox"): installed once start-up is
// done, it keeps a compromised agent from running programs (its own helpers excepted, agentd/helpers),
// tracing processes or opening sockets other than Unix, TCP and UDP (DNS). Everything else stays allowed: the keyring (D-Bus), HTTPS,
// systemd sockets and the sanitizers need no list of their own.
#pragma once

#include <string_view>

#include "proto/result.hpp"

namespace agentd::sandbox {

// What a forbidden system call (execve, ptrace, …) does to the agent.
enum class Violation {
  kill,  // SECCOMP_RET_KILL_PROCESS: the process dies of SIGSYS at once (production)
  trap,  // SIGSYS to a handler that writes "seccomp: blocked system call NAME" to stderr, then dies of SIGSYS
};

// FLUXLOOP_SECCOMP: unset or "kill" -> kill, "trap" -> trap; anything else is invalid_argument.
proto::Result<Violation> violation_from_environment();

// Sets PR_SET_NO_NEW_PRIVS and loads the filter on every thread of the process. Call after
// start-up's fork (--daemon), before serving. Errors (no seccomp in the kernel) name the cause.
proto::Status install(Violation violation);

// What main() calls once start-up is done: install(violation_from_environment()), then the self-test.
// An invalid FLUXLOOP_SECCOMP is an error (the agent must not start); a kernel without seccomp is
// logged as a warning and the agent runs unfiltered, as OpenSSH's sandbox does.
proto::Status enter();

// FLUXLOOP_SECCOMP_SELFTEST, for the tests and for checking a deployment, after install():
//   "execve"  tries to run /bin/true: the filter must kill the agent (trap mode logs it first);
//   "execveat" tries /bin/true the way helpers are started, from a descriptor that is no helper: killed too;
//   "netlink" opens an AF_NETLINK socket: refused with EACCES, the agent logs that and goes on.
// Harmless by construction: each attempt is one the filter forbids. Unknown values are ignored.
void run_selftest_from_environment();

}  // namespace agentd::sandbox
