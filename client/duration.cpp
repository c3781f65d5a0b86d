#include "client/duration.hpp"

#include <array>

namespace client {

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
