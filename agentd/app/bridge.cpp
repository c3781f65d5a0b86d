// bridge_sync: the pass-through's "bring auth.json in line now" (agentd/app/services/bridge.hpp).
#include "agentd/app/bridge.hpp"

#include "agentd/tokens/clock.hpp"
#include "proto/duration.hpp"

namespace agentd::app {

Handled<proto::BridgeSync> BridgeHandlers::on(const proto::BridgeSync& request) {
  if (request.min_valid < 0 || request.min_valid > proto::kMaxDurationSeconds) {
    co_return proto::Error{proto::ErrorCode::invalid_argument, "min_valid must be between 0 s and a year"};
  }
  co_await credentials_.ensure_loaded();
  proto::BridgeSyncReply reply;
  reply.profile = settings_.resolve("");
  reply.path = bridge_.path();
  if (bridge_.state_of(reply.profile) == proto::BridgeState::fresh) {
    const auto* entry = credentials_.cache().find(reply.profile);
    if (!entry->valid_for(std::chrono::seconds(request.min_valid)) && !entry->credentials.refresh_token.empty()) {
      // Tokens that live less than min_valid are never valid that long: one refresh is the best there is.
      if (auto refreshed = co_await credentials_.refresher().refresh(reply.profile, tokens::Refresher::Mode::respect_backoff); !refreshed) {
        co_return std::move(refreshed).error();
      }
    }
  }
  // One more look whatever the state, even when nothing changed: someone may have edited the file,
  // and the answer then means "the agent has looked at the file since the request arrived".
  bridge_.changed();
  proto::Status settled = co_await bridge_.settle();
  reply.state = bridge_.state_of(reply.profile);
  if (reply.state != proto::BridgeState::fresh) co_return reply;
  if (!settled) co_return std::move(settled).error();  // the file could not be written
  if (const auto* now = credentials_.cache().find(reply.profile); now && now->expires) {
    reply.expires_at = tokens::format_rfc3339(tokens::to_system_time(*now->expires));
  }
  co_return reply;
}

}  // namespace agentd::app
