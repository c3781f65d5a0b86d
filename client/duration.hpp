// Durations on the command line and in human output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/duration.hpp"

namespace client {

// "300" (seconds) or a DURATION ("90s", "8h", "7d"); shared with the agent (proto/duration.hpp).
using proto::kMaxDurationSeconds;
using proto::parse_seconds;

// 3725 -> "1h 2m", 59 -> "59s", 90061 -> "1d 1h": the two largest units, for status output.
std::string format_duration(std::int64_t seconds);

}  // namespace client
