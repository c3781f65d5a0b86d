// get_token's successful reply, encoded once per cache entry and reused until the entry changes:
// the agent's hot path copies bytes instead of formatting the expiry and building JSON per request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agentd/tokens/token_cache.hpp"

namespace agentd::tokens {

// The complete reply frame (header included) for get_token request `id`, answered from `entry` as
// profile `profile`: the entry's API key, or its access token and expiry. Same JSON as
// proto::encode_reply of the matching proto::TokenReply. The encoded part is kept in entry.reply
// (secure memory, wiped when the entry is replaced, erased or TokenCache::drop_replies runs) and
// rebuilt when entry.expires moves. nullopt when the strings need more than plain JSON escaping
// (bytes >= 0x80): the caller then encodes the usual way. The caller checks validity first.
std::optional<std::string> token_reply_frame(std::uint64_t id, const std::string& profile, Entry& entry);

}  // namespace agentd::tokens
