// Limits of the redact stream (docs/redact.md), shared by the client that sends chunks and the agent
// that answers them, so that both frames stay under kMaxFrame after base64 and the JSON envelope.
#pragma once

#include <cstddef>

#include "proto/base64.hpp"
#include "proto/frame.hpp"

namespace proto {

// Input bytes one redact request may carry (the client's resent tail included).
inline constexpr std::size_t kMaxRedactInput = 44 * 1024;
// Output bytes one redact reply may carry; the agent decides less input when replacements would exceed it.
inline constexpr std::size_t kMaxRedactOutput = 44 * 1024;
// Room for the JSON envelope around the base64 text ({"v","id","op","final"} or {"id","ok","consumed"}).
inline constexpr std::size_t kRedactEnvelope = 1024;

static_assert(base64_encoded_size(kMaxRedactInput) + kRedactEnvelope <= kMaxFrame);
static_assert(base64_encoded_size(kMaxRedactOutput) + kRedactEnvelope <= kMaxFrame);

}  // namespace proto
