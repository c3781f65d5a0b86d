#include "agentd/tokens/clock.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace agentd::tokens {
namespace {

// Instants outside these bounds are refused (parse_rfc3339 gives nullopt): system_clock counts nanoseconds in 64 bits (it ends in
// 2262), and to_boot_time() subtracts now() from them, which needs room on both sides.
constexpr std::chrono::sys_days kEarliestInstant{std::chrono::year(1970) / 1 / 1};
constexpr std::chrono::sys_days kLatestInstant{std::chrono::year(2200) / 1 / 1};

}  // namespace

BootClock::time_point BootClock::now() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  auto digits = [&](std::size_t pos, std::size_t count, int& out) {
    if (pos + count > text.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !digits(0, 4, year) || text[4] != '-' || !digits(5, 2, month) || text[7] != '-' ||
      !digits(8, 2, day) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(11, 2, hour) ||
      text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || text.size() <= pos + 3 || text[pos + 3] != ':' || !digits(pos + 4, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                   std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  // In seconds first: 64-bit seconds hold any year of four digits, nanoseconds do not.
  const std::chrono::sys_seconds when = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                                        std::chrono::minutes(minute) + std::chrono::seconds(second) -
                                        std::chrono::minutes(offset_minutes);
  if (when < kEarliestInstant || when >= kLatestInstant) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(when);
}

std::string format_rfc3339(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[64];  // room for any int fields: g++ warns about truncation otherwise
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

std::optional<std::chrono::system_clock::time_point> parse_expires_at(std::string_view text) {
  if (auto when = parse_rfc3339(text)) return when;
  // Python's datetime.isoformat() of a naive datetime (what the platform CLI writes): UTC.
  if (text.size() >= 19 && text.size() < 40) return parse_rfc3339(std::string(text) + "Z");
  return std::nullopt;
}

std::optional<std::string> normalize_expires_at(std::string_view text) {
  if (auto when = parse_expires_at(text)) return format_rfc3339(*when);
  return std::nullopt;
}

BootClock::time_point to_boot_time(std::chrono::system_clock::time_point when) {
  return BootClock::now() +
         std::chrono::duration_cast<BootClock::duration>(when - std::chrono::system_clock::now());
}

std::chrono::system_clock::time_point to_system_time(BootClock::time_point when) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(when - BootClock::now());
}

std::chrono::steady_clock::duration sleep_before(std::optional<std::chrono::system_clock::time_point> earliest) {
  using Steady = std::chrono::steady_clock::duration;
  const auto longest = std::chrono::duration_cast<Steady>(kWallClockRecheck);
  if (!earliest) return longest;
  const auto until = std::chrono::duration_cast<Steady>(*earliest - std::chrono::system_clock::now());
  return std::clamp(until, Steady::zero(), longest);
}

}  // namespace agentd::tokens
