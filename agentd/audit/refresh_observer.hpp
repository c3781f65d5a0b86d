// Feeds failed token refreshes to the monitor (refresh-failure anomalies) without touching the refresher.
#pragma once

#include "agentd/audit/monitor.hpp"
#include "agentd/tokens/refresher.hpp"

namespace agentd::audit {

// `hooks` with its refresh hook wrapped: every attempt whose result is an error (network, server,
// refused refresh token) is reported to `monitor`, which must outlive the returned hooks' use.
tokens::RefresherHooks observe_refreshes(tokens::RefresherHooks hooks, Monitor& monitor);

}  // namespace agentd::audit
