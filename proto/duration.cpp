#include "proto/duration.hpp"

#include <charconv>

namespace proto {

std::optional<std::int64_t> parse_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t unit = 1;
  switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    case 'd': unit = 86400; text.remove_suffix(1); break;
    default: break;
  }
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;  // no sign, no space
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (number > kMaxDurationSeconds / unit) return std::nullopt;
  return number * unit;
}

}  // namespace proto
