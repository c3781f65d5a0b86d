// Time for token expiry: wall-clock strings at the edges, CLOCK_BOOTTIME inside.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace agentd::tokens {

// CLOCK_BOOTTIME: monotonic (immune to wall-clock jumps and server skew) and, unlike
// CLOCK_MONOTONIC, it keeps counting during suspend, so a token that expired while the laptop slept
// is seen as expired on resume.
struct BootClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<BootClock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept;
};

// "2024-11-02T10:00:00Z" (also fractional seconds and ±hh:mm offsets) -> system time; nullopt if invalid.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);
// System time -> "2024-11-02T10:00:00Z" (UTC, whole seconds).
std::string format_rfc3339(std::chrono::system_clock::time_point when);
// An expiry as servers and the platform CLI write it: RFC 3339, or Python's naive isoformat
// "2026-01-02T03:04:05[.ffffff]", which the platform CLI reads as UTC. nullopt when it is neither.
std::optional<std::chrono::system_clock::time_point> parse_expires_at(std::string_view text);
// parse_expires_at in the form the agent stores: "2026-01-02T03:04:05.123+01:00" -> "2026-01-02T02:04:05Z".
std::optional<std::string> normalize_expires_at(std::string_view text);

// The boot-clock instant matching a wall-clock instant, as seen now.
BootClock::time_point to_boot_time(std::chrono::system_clock::time_point when);
// The wall-clock instant matching a boot-clock instant, as seen now.
std::chrono::system_clock::time_point to_system_time(BootClock::time_point when);

// Loops that wait for wall-clock deadlines (credential lifetimes, key revocations) sleep on steady
// timers, which stop during suspend and ignore clock changes: they look at the wall clock again at
// least this often.
inline constexpr std::chrono::seconds kWallClockRecheck{15};
// How long such a loop sleeps before `earliest` (nullopt: no deadline): zero when it has passed,
// never more than kWallClockRecheck.
std::chrono::steady_clock::duration sleep_before(std::optional<std::chrono::system_clock::time_point> earliest);

}  // namespace agentd::tokens
