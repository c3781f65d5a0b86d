// The `api_key_file` setting on the client side (CONTRACT.md precedence): the client reads
// $FLUXLOOP_HOME/config.json itself, so CI without an agent can use the key in that file.
#pragma once

#include <optional>
#include <string>

#include "client/outcome.hpp"

namespace client {

// Largest key file read (an API key is well under 200 bytes).
inline constexpr std::size_t kMaxKeyFileBytes = 4096;

// $FLUXLOOP_HOME/config.json, else $HOME/.fluxloop/config.json, else "" (no HOME: no setting).
// Reads only the environment: the static client must not ask NSS for the home directory.
std::string config_path_from_environment();

// The `api_key_file` setting of the config file at `config_path`: nullopt when the file or the setting
// is absent or empty. An unreadable config, one not owned by us or writable by group/others, or a
// malformed one that mentions the setting, is a failure (exit 1) naming the file.
Outcome<std::optional<std::string>> api_key_file_setting(const std::string& config_path);

// The API key in `path`: the first line, surrounding whitespace removed. Refused (exit 1, the message
// names the file and never quotes it) when the file is missing, not a regular file, not owned by this
// user, has any group/other permission (`chmod 600`), is too large, or holds no flx_api_/flx_sa_ key.
Outcome<std::string> read_api_key_file(const std::string& path);

// The key named by the setting in config_path_from_environment(): nullopt when none is configured.
Outcome<std::optional<std::string>> configured_api_key();

}  // namespace client
