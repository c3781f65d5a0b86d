// API key records as the platform sends them, and which of the agent's credentials hold a key.
// Pure functions (no Asio): unit-tested on their own.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "agentd/store/credentials.hpp"
#include "proto/messages_platform.hpp"
#include "proto/result.hpp"

namespace agentd::platform {

// A record object ({"id", "name", "scope", …}; last_used_at may be null) as a proto record. Refuses
// (server_error) an object without a string id; ignores a "key" member (never copied).
proto::Result<proto::ApiKeyRecord> record_from_json(const nlohmann::json& object);

// True for the key shapes the platform issues: flx_api_… (user) and flx_sa_… (service account).
bool looks_like_key(std::string_view text) noexcept;
// True for a platform key id: "key_" followed by letters, digits, '_' or '-' (safe in a URL path).
bool looks_like_key_id(std::string_view text) noexcept;

// Whether `credentials` hold the key of `record`: by api_key_id, or, for a key imported without its
// id, by the record's prefix and last4 (8 hex digits of the key: a collision among one user's keys
// is not a practical concern).
bool holds_key(const store::Credentials& credentials, const proto::ApiKeyRecord& record) noexcept;

}  // namespace agentd::platform
