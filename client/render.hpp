// Human-readable reports (stdout). Pure: reply in, text out. Secrets arrive masked by the agent and
// are passed through as they are; nothing here can unmask anything.
#pragma once

#include <string>

#include "proto/messages.hpp"

namespace client {

// `auth status`: one block per profile, then the store in use and its problem, if any.
std::string render_auth_status(const proto::AuthStatusReply& reply);
// `profile list`: an aligned table, default profile marked.
std::string render_profile_list(const proto::ProfileListReply& reply);
// `agent status`: one "key  value" line per fact.
std::string render_agent_status(const proto::AgentStatusReply& reply);

}  // namespace client
