// get_token's successful reply, encoded once per cache entry and reused until the entry changes:
// the agent's hot path copies bytes instead of formatting the expiry and building JSON per request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agentd/tokens/token_cache.hpp"

namespace agentd::tokens {

// Puts into `frame` (replacing its bytes, reusing its capacity: no allocation once it has held a
// reply) the complete reply frame (header included) for get_token request `id`, answered from `entry`
// as profile `profile`: the entry's API key, or its access token and expiry. Same JSON as
// proto::encode_reply of the matching proto::TokenReply. The encoded part is kept in entry.reply
// (secure memory, wiped when the entry is replaced, erased or TokenCache::drop_replies runs) and
// rebuilt when entry.expires moves. False (frame untouched) when the strings need more than plain
// JSON escaping (bytes >= 0x80): the caller then encodes the usual way. The caller checks validity.
bool token_reply_frame(std::uint64_t id, std::string_view profile, Entry& entry, std::string& frame);

}  // namespace agentd::tokens
