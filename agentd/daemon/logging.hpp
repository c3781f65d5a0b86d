// The agent's logging: spdlog to stderr (a terminal, the --daemon log file, or journald under systemd).
#pragma once

#include <cstdint>
#include <string>

namespace agentd::daemon {

inline constexpr std::uint64_t kMaxLogFileBytes = 1 << 20;  // agent.log past this moves to agent.log.1

// Installs the default logger on stderr. Under journald (JOURNAL_STREAM names our stderr) each line
// carries a syslog priority prefix, so `journalctl -p warning` works; elsewhere a timestamp and the
// level. Never log secrets: mask them with proto::mask_secret.
void setup_logging();

// From now on stderr is the log file at `path` (--daemon): when a line would take it past
// `max_bytes`, the file becomes `path`.1 (replacing the older one) and a fresh `path` (0600, never
// through a symlink) takes over stderr, while the agent runs.
void rotate_log_file(const std::string& path, std::uint64_t max_bytes = kMaxLogFileBytes);

}  // namespace agentd::daemon
