#include "agentd/util/log_throttle.hpp"

#include <cstdio>

namespace agentd::util {

std::string log_excerpt(std::string_view text, std::size_t max_bytes) {
  const std::size_t shown = text.size() < max_bytes ? text.size() : max_bytes;
  std::string out;
  out.reserve(shown + 24);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      // Escaped, not dropped: a log line must never carry a terminal escape or a fake newline.
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  if (shown < text.size()) out += "\xE2\x80\xA6(" + std::to_string(text.size() - shown) + " more bytes)";
  return out;
}

}  // namespace agentd::util
