// The command tree of `fluxloop`: parses argv with CLI11 and runs exactly one command.
#pragma once

#include <optional>
#include <vector>

#include "client/commands_auth.hpp"
#include "client/completion.hpp"

namespace client {

// Parses the command line, runs the chosen command against the agent and returns the process exit
// code (CONTRACT.md): usage errors 2, `--help`/`--version` 0 on stdout.
int run_cli(int argc, char** argv);

// False when argv names a command this client does not implement: run_cli then hands it to the
// platform CLI (client/passthrough.hpp).
bool implemented(int argc, char** argv);

// Every command of the tree, hidden ones included, with its options and arguments: the source of the
// completion scripts (`fluxloop completion SHELL`) and of the man page drift test.
std::vector<CommandSpec> command_specs();

// What the full CLI11 parser makes of argv when it runs `auth token` (nullopt: a parse error, help, or
// another command). For the test that fast_auth_token (client/fast_path.hpp) never disagrees with it.
std::optional<AuthTokenOptions> parse_auth_token(int argc, char** argv);

}  // namespace client
