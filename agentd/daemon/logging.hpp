// The agent's logging: spdlog to stderr (a terminal, the --daemon log file, or journald under systemd).
#pragma once

namespace agentd::daemon {

// Installs the default logger on stderr. Under journald (JOURNAL_STREAM names our stderr) each line
// carries a syslog priority prefix, so `journalctl -p warning` works; elsewhere a timestamp and the
// level. Never log secrets: mask them with proto::mask_secret.
void setup_logging();

}  // namespace agentd::daemon
