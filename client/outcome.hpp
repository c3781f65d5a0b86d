// What a client step produces: a value, or a Failure that already knows its exit code and message.
#pragma once

#include <string>
#include <utility>

#include "proto/exit_codes.hpp"
#include "proto/expected.hpp"
#include "proto/result.hpp"

namespace client {

// Where a failure came from; decides whether autostarting the agent can help.
enum class FailureKind {
  local,        // the client refused (bad input, missing file)
  agent,        // the agent answered with an error
  no_listener,  // nobody listens on the socket (ENOENT, ECONNREFUSED): starting an agent may help
  unreachable,  // the agent could not be reached or stopped answering
};

// One failure: the exit code and a message that names the cause and the next step. Never holds a secret.
struct Failure {
  int exit_code = proto::kExitError;
  std::string message;
  FailureKind kind = FailureKind::local;
};

// An error reply of the agent as a Failure: exit code from proto::exit_code_for, the agent's message,
// plus a hint when the agent does not speak this client's protocol.
Failure failure_from_agent(const proto::Error& error);

// Either a value or a Failure: proto::Expected, the same template as proto::Result.
template <typename T>
using Outcome = proto::Expected<T, Failure>;

}  // namespace client
