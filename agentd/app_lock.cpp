// Handlers for agent_lock and agent_unlock. PLACEHOLDER until the lock feature lands (issue 4).
#include "agentd/app_state.hpp"

namespace agentd {
namespace asio = boost::asio;

asio::awaitable<proto::Result<proto::OkReply>> App::State::on(const proto::AgentLock&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "agent_lock is not implemented in this build"};
}
asio::awaitable<proto::Result<proto::OkReply>> App::State::on(const proto::AgentUnlock&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "agent_unlock is not implemented in this build"};
}

}  // namespace agentd
