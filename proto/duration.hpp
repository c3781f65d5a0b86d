// DURATION values (CONTRACT.md: a whole number with unit s, m, h or d), parsed the same way by the
// client's options and the agent's --lifetime.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace proto {

// Longest duration accepted anywhere (a year): keeps arithmetic far from overflow.
inline constexpr std::int64_t kMaxDurationSeconds = 366LL * 24 * 3600;

// "300" (seconds) or a DURATION ("90s", "8h", "7d") to seconds. nullopt for anything else: a sign,
// blanks, another unit, or more than kMaxDurationSeconds.
std::optional<std::int64_t> parse_seconds(std::string_view text);

}  // namespace proto
