// Handler for api_request. PLACEHOLDER until the api feature lands (issue 4).
#include "agentd/app_state.hpp"

namespace agentd {
namespace asio = boost::asio;

asio::awaitable<proto::Result<proto::ApiReply>> App::State::on(const proto::ApiRequest&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "api_request is not implemented in this build"};
}

}  // namespace agentd
