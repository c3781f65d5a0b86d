// The command tree of `fluxloop`: parses argv with CLI11 and runs exactly one command.
#pragma once

#include <vector>

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

}  // namespace client
