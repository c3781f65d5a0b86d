// Starting the agent when none answers, as gpg starts gpg-agent (CONTRACT.md "Binaries").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "client/outcome.hpp"

namespace client {

inline constexpr std::string_view kAgentBinary = "fluxloop-agentd";

// True for an environment entry ("NAME=value") that carries a secret and must never reach a child:
// FLUXLOOP_TOKEN and FLUXLOOP_API_KEY.
bool is_secret_variable(std::string_view entry) noexcept;

// The environment for a started agent: `environ` (NULL-terminated) without the secret variables.
std::vector<std::string> agent_environment(const char* const* environ);

// The null-terminated char* array execve/posix_spawn take, pointing into `items` (which must outlive it).
std::vector<char*> c_strings(std::vector<std::string>& items);

// The agent binary: `fluxloop-agentd` in the directory of `self_exe` if executable there, else the
// first executable one on `path_env` (empty entries, i.e. the current directory, are skipped).
// Empty when none is found.
std::string find_agentd(std::string_view self_exe, std::string_view path_env);

// Runs `fluxloop-agentd --daemon --socket SOCKET` (no shell; stdio to /dev/null so its export lines
// never reach our stdout; secrets removed from its environment) and waits until it exits, which it
// does once its socket listens. Fails (exit 4) when no binary is found or it cannot be run; a
// non-zero exit is reported as a failure too, but the caller still retries the connection, since
// losing a start-up race to another client is a success.
Outcome<proto::Ok> start_agent(const std::string& socket_path);

}  // namespace client
