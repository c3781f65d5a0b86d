// Handler for redact. PLACEHOLDER until the redaction feature lands (issue 4).
#include "agentd/app_state.hpp"

namespace agentd {
namespace asio = boost::asio;

asio::awaitable<proto::Result<proto::RedactReply>> App::State::on(const proto::Redact&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "redact is not implemented in this build"};
}

}  // namespace agentd
