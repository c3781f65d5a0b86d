// The command tree of `fluxloop` as data: what a parse fills in (Tree) and the table of groups and
// commands (client/cli_commands.cpp) that client/cli.cpp builds with CLI11. Internal to the CLI.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "client/app.hpp"
#include "client/commands_agent.hpp"
#include "client/commands_api.hpp"
#include "client/commands_apikeys.hpp"
#include "client/commands_auth.hpp"
#include "client/commands_lock.hpp"
#include "client/commands_login.hpp"
#include "client/commands_profile.hpp"

namespace CLI {
class App;
}

namespace client {

// A parsed command: runs it and returns the exit code.
using Action = std::function<int()>;

// Everything a parse fills in: the App, the chosen action, and each command's options.
struct Tree {
  explicit Tree(App& a) : app(a) {}
  App& app;
  Action action;
  AuthImportOptions auth_import;
  AuthTokenOptions auth_token;
  AuthStatusOptions auth_status;
  AuthLoginOptions auth_login;
  AuthRefreshOptions auth_refresh;
  AuthLogoutOptions auth_logout;
  ProfileAddOptions profile_add;
  ProfileListOptions profile_list;
  ProfileRemoveOptions profile_remove;
  ConfigSetOptions config_set;
  AgentStatusOptions agent_status;
  AgentLockOptions agent_lock;
  ApiKeysCreateOptions apikeys_create;
  ApiKeysCommon apikeys_list;
  ApiKeysKeyOptions apikeys_key;  // info, revoke
  ApiKeysRotateOptions apikeys_rotate;
  ApiOptions api;
  std::string completion_shell;
};

// One command: its name and the builder that adds it (its options and action) to its group.
struct Leaf {
  std::string_view name;
  void (*build)(CLI::App& group, Tree& t);
};
// A group of commands (`fluxloop auth …`).
struct Group {
  std::string_view name;
  std::string_view description;
  std::span<const Leaf> leaves;
};

// The groups (auth, profile, config, agent, apikeys) and their commands, in help order.
std::span<const Group> command_groups();
// The commands outside any group (redact, api, completion), built beside the groups.
std::span<const Leaf> top_level_commands();

}  // namespace client
