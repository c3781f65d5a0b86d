// The agent's options (command line, environment) and its configuration (config.json).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agentd/config/config.hpp"
#include "proto/enums.hpp"
#include "proto/result.hpp"

namespace agentd::app {

// What main() tells the agent about how it runs.
struct AppOptions {
  std::string home;         // FLUXLOOP_HOME
  std::string socket_path;  // shown in agent status
  std::string forced_store; // FLUXLOOP_STORE
  std::int64_t lifetime_seconds = 0;  // --lifetime: credentials forgotten this long after they arrive (0: never)
  proto::LaunchMode launch = proto::LaunchMode::foreground;  // shown in agent status
  std::string unit;         // the systemd unit running the agent, "" when none
  std::function<void()> request_stop;                  // called for the agent_stop op
  std::function<std::int64_t()> connection_count;      // open connections, for agent status
};

}  // namespace agentd::app

namespace agentd::app::services {

// The options and the configuration. Every change of the configuration goes through update(),
// which saves it before the agent uses it.
class Settings {
 public:
  explicit Settings(AppOptions options);

  // Loads config.json (start-up; an error is a start-up failure).
  proto::Status load();
  const AppOptions& options() const noexcept { return options_; }
  const config::Config& config() const noexcept { return config_; }
  std::string config_path() const { return options_.home + "/config.json"; }
  // When the agent started (agent status: uptime).
  std::chrono::steady_clock::time_point started() const noexcept { return started_; }

  // The profile a request means: its own, else the configured default, else "production".
  std::string resolve(const std::string& requested) const;
  // The same without a copy: valid until `requested` or the configuration changes.
  std::string_view resolve_view(std::string_view requested) const noexcept;
  // The configuration of profile `name`; nullptr when config.json has none (credentials alone).
  const config::Profile* profile(const std::string& name) const;
  // Saves `updated` to config.json, then makes it the configuration; on an error nothing changes.
  proto::Status update(config::Config updated);
  // Takes hand edits of `sanitization.patterns` (redact re-reads config.json): memory only, the file
  // already holds them.
  void adopt_sanitization(std::vector<config::SanitizationPattern> patterns);

 private:
  AppOptions options_;
  config::Config config_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace agentd::app::services
