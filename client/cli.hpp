// The command tree of `fluxloop`: parses argv with CLI11 and runs exactly one command.
#pragma once

namespace client {

// Parses the command line, runs the chosen command against the agent and returns the process exit
// code (CONTRACT.md): usage errors 2, `--help`/`--version` 0 on stdout.
int run_cli(int argc, char** argv);

// False when argv names a command this client does not implement: run_cli then hands it to the
// platform CLI (client/passthrough.hpp).
bool implemented(int argc, char** argv);

}  // namespace client
