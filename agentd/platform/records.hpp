// API key records as the platform sends them, and which of the agent's credentials hold a key.
// Pure functions (no Asio): unit-tested on their own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "agentd/store/credentials.hpp"
#include "proto/messages_platform.hpp"
#include "proto/result.hpp"

namespace agentd::platform {

// A record object ({"id", "name", "scope", …}; last_used_at may be null) as a proto record; the id may be
// a string or an integer, also named key_id, api_key_id or uuid, and a few other spellings are read
// (key_prefix, last_four, key_type). Refuses
// (server_error) an object without a usable id (is_key_id); ignores a "key" member (never copied).
proto::Result<proto::ApiKeyRecord> record_from_json(const nlohmann::json& object);

// The record and the key of a create answer, in any of the platform's shapes: the record at the top
// level with the key as "key" or "api_key" (a string); or nested as "api_key" or "api_key_data"
// objects holding the record and its "key", the id possibly beside them. `key` is empty when the
// answer holds none; `record.id` is empty when it holds no usable id (the key is never dropped for it).
struct CreatedKey {
  proto::ApiKeyRecord record;
  std::string key;  // a secret: wiped on destruction
  ~CreatedKey();
};
proto::Result<CreatedKey> created_from_json(const nlohmann::json& answer);

// The records of a list answer: a JSON array of records, or one under "api_keys", "items", "data",
// "results" or "keys". A record without a usable id is kept with `id` empty; an item that is not an
// object refuses the whole answer (server_error).
proto::Result<std::vector<proto::ApiKeyRecord>> records_from_json(const nlohmann::json& answer);

// True for the key shapes the platform issues: flx_api_… (user) and flx_sa_… (service account).
bool looks_like_key(std::string_view text) noexcept;
// True for any usable key id: ids are opaque (key_… on /v1, UUIDs on the platform): non-empty, at
// most 256 visible ASCII characters. No format is assumed; path_segment makes any id URL-safe.
bool is_key_id(std::string_view text) noexcept;
// `id` percent-encoded for use as one URL path segment (RFC 3986 unreserved characters kept).
std::string path_segment(std::string_view id);

// Whether `credentials` hold the key of `record`: by api_key_id, or, for a key imported without its
// id, by the record's prefix and last4 (8 hex digits of the key: a collision among one user's keys
// is not a practical concern).
bool holds_key(const store::Credentials& credentials, const proto::ApiKeyRecord& record) noexcept;

}  // namespace agentd::platform
