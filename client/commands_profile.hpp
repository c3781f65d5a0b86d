// `fluxloop profile …` and `fluxloop config …`: profiles and settings kept by the agent.
#pragma once

#include <string>
#include <vector>

#include "client/app.hpp"
#include "proto/messages.hpp"

namespace client {

struct ProfileAddOptions {
  std::string name;
  std::string issuer;
  std::string client_id;
  std::string api_endpoint;         // empty: the platform default
  std::vector<std::string> scopes;  // empty: the default scopes
  std::string lifetime;             // --lifetime DURATION (checked by the parser); empty: none
};
struct ProfileListOptions {
  bool json = false;
};
struct ProfileRemoveOptions {
  std::string name;
};
// `config set KEY VALUE`; the parser restricts KEY to config_keys().
struct ConfigSetOptions {
  std::string key;
  std::string value;
};

// The settings `config set` accepts ("profile": the default profile; "api_key_file": a file holding
// an API key, CONTRACT.md precedence; "cli_bridge": on|off, the platform CLI's auth.json).
// A function, not a global: the client's start-up runs no constructor outside its CLI11 files
// (client/main.cpp).
const std::vector<std::string>& config_keys();

// Pure request builders. config_set_request needs a key of config_keys() (the parser's check; any other
// is a bug: std::invalid_argument). It sends an api_key_file path as given; config_set makes a
// relative one absolute first (the agent runs in another directory).
proto::ProfileAdd profile_add_request(const ProfileAddOptions& options);
proto::ConfigSet config_set_request(const ConfigSetOptions& options);
// `path` made absolute against `cwd` ("" stays "": it unsets the setting).
std::string absolute_path(const std::string& path, const std::string& cwd);

// Each returns the process exit code.
int profile_add(App& app, const ProfileAddOptions& options);
int profile_list(App& app, const ProfileListOptions& options);
int profile_remove(App& app, const ProfileRemoveOptions& options);
int config_set(App& app, const ConfigSetOptions& options);

}  // namespace client
