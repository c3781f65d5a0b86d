// Process-level set-up of the agent: core dumps off, detaching (--daemon) and its log file.
// Plain POSIX, no Asio: everything here runs before the io_context exists.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agentd/util/unique_fd.hpp"
#include "proto/result.hpp"

namespace agentd::daemon {

// Sets RLIMIT_CORE to 0 and PR_SET_DUMPABLE to 0: the agent holds tokens in memory, which must never
// land in a core file, and other processes of the same uid may not ptrace it.
proto::Status disable_core_dumps();

// Raises the soft RLIMIT_NOFILE to the hard limit: every client connection is one fd, and the agent
// holds at least a thousand idle ones (docs/agent.md). Returns the soft limit now in force.
std::uint64_t raise_fd_limit() noexcept;

// Opens `home`/agent.log (home created 0700 when missing) for a daemon's stderr: 0600, append, never
// through a symlink. A log past its size bound is moved to agent.log.1 first.
proto::Result<util::UniqueFd> open_daemon_log(const std::string& home, std::string& path_out);

// The child's side of --daemon start-up: tells the waiting parent whether the agent came up.
// Default-constructed (foreground) it does nothing.
class StartupReport {
 public:
  StartupReport() = default;
  explicit StartupReport(util::UniqueFd fd) : fd_(std::move(fd)) {}
  // The agent serves: the parent prints the shell lines and exits 0.
  void ready();
  // Start-up failed: the parent prints `message` and exits 1.
  void failed(std::string_view message);

 private:
  util::UniqueFd fd_;
};

// Forks. The parent waits for the child's report, then prints `FLUXLOOP_AGENT_SOCK=…; export …;` and
// `echo Agent pid N;` (or the error) and exits without returning. The child returns: session leader,
// cwd "/", stdin/stdout on /dev/null, stderr on `log`.
StartupReport daemonize(const std::string& socket_path, util::UniqueFd log, const std::string& log_path);

// `text` as one shell word: unchanged when it is plainly safe, else single-quoted.
std::string shell_quote(std::string_view text);

}  // namespace agentd::daemon
