// Human-readable reports (stdout). Pure: reply in, text out. Secrets arrive masked by the agent and
// are passed through as they are; nothing here can unmask anything.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/messages.hpp"

namespace client {

// Left-aligned columns two spaces apart, widths in code points (masked secrets carry "…"), each
// line prefixed with `indent`; trailing spaces trimmed; control characters removed from cells.
std::string render_table(const std::vector<std::vector<std::string>>& rows, std::string_view indent = {});
// "a, b, c".
std::string joined(const std::vector<std::string>& items);

// `auth status`: one block per profile (state, credential kind, masked secrets, expiry, forget time,
// usage since the agent started), then the store in use and its problem, if any.
std::string render_auth_status(const proto::AuthStatusReply& reply);
// `profile list`: an aligned table, default profile marked.
std::string render_profile_list(const proto::ProfileListReply& reply);
// `agent status`: one "key  value" line per fact (lock, lifetime, request count), then a usage table
// per credential and the recent anomalies, when there are any.
std::string render_agent_status(const proto::AgentStatusReply& reply);

}  // namespace client
