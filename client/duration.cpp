#include "client/duration.hpp"

#include <array>
#include <charconv>

namespace client {

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

std::string format_duration(std::int64_t seconds) {
  if (seconds < 0) seconds = -seconds;
  struct Unit {
    std::int64_t size;
    const char* suffix;
  };
  constexpr std::array<Unit, 4> kUnits{{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}};
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    if (seconds < kUnits[i].size && i + 1 < kUnits.size()) continue;
    std::string out = std::to_string(seconds / kUnits[i].size) + kUnits[i].suffix;
    if (i + 1 < kUnits.size()) {
      const std::int64_t rest = (seconds % kUnits[i].size) / kUnits[i + 1].size;
      if (rest > 0) out += " " + std::to_string(rest) + kUnits[i + 1].suffix;
    }
    return out;
  }
  return "0s";
}

}  // namespace client
