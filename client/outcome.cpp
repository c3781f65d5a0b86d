#include "client/outcome.hpp"

namespace client {

Failure failure_from_agent(const proto::Error& error) {
  Failure failure{proto::exit_code_for(error.code), error.message, FailureKind::agent};
  // An agent started by an older release keeps running across upgrades; say how to replace it
  // rather than leaving the user with "unknown op".
  if (error.code == proto::ErrorCode::unknown_op || error.code == proto::ErrorCode::unsupported_version) {
    failure.message += " (the running agent is older or newer than this client, " FLUXLOOP_VERSION
                       ": restart it with `fluxloop agent stop` and run the command again)";
  }
  if (failure.message.empty()) failure.message = "the agent reported " + std::string(proto::to_string(error.code));
  return failure;
}

}  // namespace client
