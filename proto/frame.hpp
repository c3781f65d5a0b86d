// Framing: a 4-byte big-endian length, then that many bytes of one UTF-8 JSON object.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace proto {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 4;
inline constexpr std::size_t kMaxFrame = 64 * 1024;  // body bytes, either direction
inline constexpr int kMaxDepth = 16;                 // JSON nesting allowed in a frame

std::array<unsigned char, kHeaderSize> encode_header(std::uint32_t length) noexcept;
// The body length announced by a header: frame_too_large past kMaxFrame, bad_request for 0.
Result<std::size_t> decode_header(std::span<const unsigned char, kHeaderSize> header);
// Header + body, ready to send. The body must be at most kMaxFrame bytes.
std::string frame(std::string_view body);

// True when `body` nests arrays/objects deeper than kMaxDepth (checked before parsing so hostile
// input cannot make the parser or destructor recurse deeply).
bool too_deep(std::string_view body) noexcept;

}  // namespace proto
