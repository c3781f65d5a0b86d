// The helper programs the agent runs (docs/security.md "Helper processes"): found and opened once at
// start-up, before the seccomp filter, and started from those descriptors with execveat, the only
// program execution the filter allows.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "agentd/util/unique_fd.hpp"
#include "proto/result.hpp"

namespace agentd::helpers {

enum class Program { keyring, https };

// "fluxloop-keyring-helper", "fluxloop-https-helper".
std::string_view program_name(Program program) noexcept;

// Opens every helper program O_PATH|O_CLOEXEC, once per process: from FLUXLOOP_HELPER_DIR when set,
// else next to the agent's executable (a build tree), else the installed libexec directory. Call at
// start-up before sandbox::install(); later spawns reuse the descriptors. A missing program is not an
// error here: spawning it is.
void open_programs();

// The descriptors open_programs() holds (for the seccomp rule that allows execveat on them only).
std::vector<int> program_fds();

// The empty path execveat is called with: the seccomp filter pins this address.
const char* empty_path() noexcept;

struct Child {
  pid_t pid = -1;
  util::UniqueFd socket;  // our end of the socketpair; the helper's is its stdin
  util::UniqueFd pidfd;   // readable once the helper has exited
};

// Starts `program` with exactly `environment` ("NAME=value" entries, no secrets) and no descriptor
// but the socketpair's end (as stdin), /dev/null (stdout) and our stderr. Not async: fork + execveat.
proto::Result<Child> spawn(Program program, const std::vector<std::string>& environment);

// SIGKILL through `pidfd` (never a recycled pid) and wait for the exit (a helper killed this way exits
// at once). For shutdown and deadlines.
void kill_and_reap(pid_t pid, int pidfd) noexcept;
// Whether the helper has exited (and is reaped now, or was by the kernel: the agent sets SA_NOCLDWAIT).
bool exited(pid_t pid) noexcept;

// Copies NAME=value of each of `names` that is set in our environment (sanitizer options, CA paths).
void pass_through(std::vector<std::string>& environment, std::initializer_list<const char*> names);

}  // namespace agentd::helpers
