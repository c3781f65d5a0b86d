// Handlers for apikey_*. PLACEHOLDER until the API key feature lands (issue 4).
#include "agentd/app_state.hpp"

namespace agentd {
namespace asio = boost::asio;

asio::awaitable<proto::Result<proto::ApiKeyCreateReply>> App::State::on(const proto::ApiKeyCreate&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "apikey_create is not implemented in this build"};
}
asio::awaitable<proto::Result<proto::ApiKeyListReply>> App::State::on(const proto::ApiKeyList&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "apikey_list is not implemented in this build"};
}
asio::awaitable<proto::Result<proto::ApiKeyRecord>> App::State::on(const proto::ApiKeyInfo&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "apikey_info is not implemented in this build"};
}
asio::awaitable<proto::Result<proto::ApiKeyRecord>> App::State::on(const proto::ApiKeyRevoke&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "apikey_revoke is not implemented in this build"};
}
asio::awaitable<proto::Result<proto::ApiKeyRotateReply>> App::State::on(const proto::ApiKeyRotate&, const server::Peer&) {
  co_return proto::Error{proto::ErrorCode::internal, "apikey_rotate is not implemented in this build"};
}

}  // namespace agentd
