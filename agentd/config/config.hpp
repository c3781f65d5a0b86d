// The agent's non-secret configuration: profiles, the default profile, the recorded store choice.
// Stored as FLUXLOOP_HOME/config.json (0600, atomic writes). Secrets never live here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proto/enums.hpp"
#include "proto/result.hpp"

namespace agentd::config {

inline constexpr std::string_view kDefaultProfile = "production";
inline constexpr std::string_view kDefaultApiEndpoint = "https://api.fluxloop.ai";

struct Profile {
  // "kind" in config.json; when absent: oidc with an issuer, else fluxloop (older configs).
  proto::ProfileKind kind = proto::ProfileKind::oidc;
  std::string issuer;
  std::string client_id;
  std::string api_endpoint;  // empty: kDefaultApiEndpoint
  std::vector<std::string> scopes;
  std::int64_t lifetime_seconds = 0;  // credentials forgotten this long after they arrive (0: never)
  bool operator==(const Profile&) const = default;
};

// A redaction pattern of `sanitization.patterns` (docs/redact.md): a built-in one by name
// ("email", "api_key", "phone") or a custom regex, each with its replacement text.
struct SanitizationPattern {
  std::string name;
  std::string regex;        // empty: the built-in pattern called `name`
  std::string replacement;  // empty: "[REDACTED:<name>]"
  bool operator==(const SanitizationPattern&) const = default;
};

// Anomaly thresholds, `"monitoring"` in config.json (docs/audit.md). 0 turns a check off.
struct Monitoring {
  std::int64_t request_rate_per_minute = 600;  // requests per minute beyond which a spike is reported
  std::int64_t rejected_peers = 3;             // other-uid connections refused within a minute
  std::int64_t refresh_failures = 3;           // failed token refreshes within a minute
  bool operator==(const Monitoring&) const = default;
};

struct Config {
  std::string default_profile;  // empty: kDefaultProfile
  std::string store;            // "keyring" or "file" once chosen; kept across runs
  std::map<std::string, Profile> profiles;
  std::string api_key_file;  // `config set api_key_file PATH`: read by the client (CONTRACT.md precedence)
  bool cli_bridge = true;    // `config set cli_bridge on|off`: keep $HOME/.fluxloop/auth.json for the platform CLI
  std::vector<SanitizationPattern> sanitization;  // empty: the built-in patterns (docs/redact.md)
  Monitoring monitoring;
  bool operator==(const Config&) const = default;
};

// FLUXLOOP_HOME, else $HOME/.fluxloop (HOME from the environment, else the passwd entry).
// Agent-only: the statically linked client must not call NSS functions such as getpwuid.
std::string home_dir();

// Missing file: an empty Config. Unparseable: store_error naming the file (never overwritten).
proto::Result<Config> load(const std::string& path);
proto::Status save(const std::string& path, const Config& config);

// Profile names: 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'.
proto::Status validate_profile_name(std::string_view name);
// Endpoints must be https:// (CONTRACT.md security floor); `what` names the field in the error.
proto::Status validate_https_url(std::string_view url, std::string_view what);

}  // namespace agentd::config
