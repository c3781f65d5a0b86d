// Durations on the command line and in human output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace client {

// Longest duration accepted anywhere (a year): keeps arithmetic far from overflow.
inline constexpr std::int64_t kMaxDurationSeconds = 366LL * 24 * 3600;

// "300" (seconds) or a DURATION: a whole number with unit s, m, h or d ("90s", "8h", "7d").
// nullopt for anything else, negative values, or more than kMaxDurationSeconds.
std::optional<std::int64_t> parse_seconds(std::string_view text);

// 3725 -> "1h 2m", 59 -> "59s", 90061 -> "1d 1h": the two largest units, for status output.
std::string format_duration(std::int64_t seconds);

}  // namespace client
