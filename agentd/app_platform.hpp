// The agent's glue onto agentd/platform (private to agentd/app*.cpp): platform requests with the
// credentials the agent holds, and the pending revocations of rotated API keys.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "agentd/app_state.hpp"
#include "agentd/platform/client.hpp"

namespace agentd {

// Sends `call` for `target` (platform::send with the agent's credentials: a given bearer, the
// profile's API key, else its access token refreshed as get_token does).
boost::asio::awaitable<proto::Result<platform::Answer>> platform_send(App::State& state, const proto::Target& target,
                                                                     platform::Call call, platform::Expect expect);

// The API endpoint of a profile: the one bound to its credentials, else its configuration's, else the default.
std::string api_endpoint_of(App::State& state, const std::string& profile);

// At agent start (after the store is loaded): re-arms rotations.json; overdue revocations run at
// once. Failures are logged, never fatal. stop_revocations() at shutdown.
void start_revocations(App::State& state);
void stop_revocations(App::State& state);

}  // namespace agentd
