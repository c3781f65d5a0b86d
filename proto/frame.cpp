#include "proto/frame.hpp"

namespace proto {

std::array<unsigned char, kHeaderSize> encode_header(std::uint32_t length) noexcept {
  return {static_cast<unsigned char>(length >> 24), static_cast<unsigned char>(length >> 16),
          static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)};
}

Result<std::size_t> decode_header(std::span<const unsigned char, kHeaderSize> header) {
  const std::uint32_t length = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                               (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
  if (length == 0) return Error{ErrorCode::bad_request, "empty frame"};
  if (length > kMaxFrame) {
    return Error{ErrorCode::frame_too_large, "frame of " + std::to_string(length) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(kMaxFrame)};
  }
  return std::size_t{length};
}

std::string frame(std::string_view body) {
  const auto header = encode_header(static_cast<std::uint32_t>(body.size()));
  std::string out;
  out.reserve(kHeaderSize + body.size());
  out.append(reinterpret_cast<const char*>(header.data()), header.size());
  out.append(body);
  return out;
}

bool too_deep(std::string_view body) noexcept {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace proto
