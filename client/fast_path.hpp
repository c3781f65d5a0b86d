// `fluxloop auth token [--profile P]` recognised without CLI11: the hot command of scripts and
// credential helpers skips building and running the command tree (docs/performance.md, target 1).
#pragma once

#include <optional>

#include "client/commands_auth.hpp"

namespace client {

// The options of `auth token` when argv is exactly `auth token`, `auth token --profile P` or
// `auth token --profile=P` (P not empty and not starting with '-'); nullopt for anything else,
// which the full parser then handles (help, errors, other options). Never disagrees with it.
std::optional<AuthTokenOptions> fast_auth_token(int argc, char** argv);

// Runs `auth token` with `options` as run_cli would: the process exit code, standard output flushed
// (a failed write is an error, as in run_cli). Uses nothing that needs a C++ constructor to have run
// (client/main.cpp calls it before they do).
int run_fast_auth_token(const AuthTokenOptions& options);

}  // namespace client
