#include "agentd/http/message.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace agentd::http {
namespace {

// "Sun, 06 Nov 1994 08:49:37 GMT": the only HTTP-date form senders must generate (RFC 9110 §5.6.7).
constexpr std::size_t kImfFixdateLength = 29;
constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::optional<int> number(std::string_view text) {
  if (!all_digits(text)) return std::nullopt;
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

// Manual parse instead of strptime: %a/%b in strptime follow the process locale.
std::optional<std::time_t> parse_imf_fixdate(std::string_view text) {
  if (text.size() != kImfFixdateLength || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto month = std::find(kMonths.begin(), kMonths.end(), text.substr(8, 3));
  const auto day = number(text.substr(5, 2));
  const auto year = number(text.substr(12, 4));
  const auto hour = number(text.substr(17, 2));
  const auto minute = number(text.substr(20, 2));
  const auto second = number(text.substr(23, 2));
  if (month == kMonths.end() || !day || !year || !hour || !minute || !second) return std::nullopt;
  if (*day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = static_cast<int>(month - kMonths.begin());
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  return timegm(&tm);
}

}  // namespace

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (all_digits(value)) {
    // Clamp before converting so absurd values cannot overflow.
    if (value.size() > 9) return kMaxRetryAfter;
    return std::min(std::chrono::seconds(*number(value)), kMaxRetryAfter);
  }
  const auto when = parse_imf_fixdate(value);
  if (!when) return std::nullopt;
  // An HTTP date may name any year; system_clock counts nanoseconds in 64 bits (about 292 years
  // either side of 1970), so a far date would overflow converting it. Such a date means "much later
  // than we would ever wait" (or "already past"): clamp in seconds first.
  const auto now_s = std::chrono::system_clock::to_time_t(now);
  if (*when - now_s > kMaxRetryAfter.count()) return kMaxRetryAfter;
  if (*when < now_s) return std::chrono::seconds(0);
  const auto delta = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::from_time_t(*when) - now);
  return std::clamp(delta, std::chrono::seconds(0), kMaxRetryAfter);
}

}  // namespace agentd::http
