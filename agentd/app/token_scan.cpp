#include "agentd/app/token_scan.hpp"

#include <limits>

#include "proto/duration.hpp"

namespace agentd::app {
namespace {

// A cursor over the body: every step either matches and advances, or fails (and the scan gives up).
struct Cursor {
  std::string_view rest;

  bool literal(std::string_view text) noexcept {
    if (rest.substr(0, text.size()) != text) return false;
    rest.remove_prefix(text.size());
    return true;
  }
  bool peek(std::string_view text) const noexcept { return rest.substr(0, text.size()) == text; }

  // A JSON number as encode_request writes an unsigned integer: digits, no leading zero, at most `max`.
  // Anything the full decoder could read differently (a sign, a fraction, an exponent, a value past
  // std::uint64_t, which nlohmann reads as a float) is refused here.
  bool number(std::uint64_t max, std::uint64_t& out) noexcept {
    std::size_t n = 0;
    std::uint64_t value = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') {
      const auto digit = static_cast<std::uint64_t>(rest[n] - '0');
      if (value > (max - digit) / 10) return false;  // past max (or past 2^64 - 1)
      value = value * 10 + digit;
      ++n;
    }
    if (n == 0 || (n > 1 && rest[0] == '0')) return false;
    out = value;
    rest.remove_prefix(n);
    return true;
  }

  // A JSON string of printable ASCII with no escapes (quotes included): what needs no decoding.
  bool plain_string(std::string_view& out) noexcept {
    if (!literal("\"")) return false;
    std::size_t n = 0;
    while (n < rest.size()) {
      const char c = rest[n];
      if (c == '"') break;
      if (c == '\\' || c < 0x20 || c > 0x7e) return false;
      ++n;
    }
    if (n == rest.size()) return false;
    out = rest.substr(0, n);
    rest.remove_prefix(n + 1);
    return true;
  }
};

}  // namespace

std::optional<TokenRequestView> scan_get_token(std::string_view body) noexcept {
  // Keys in the order nlohmann writes them (sorted): id, min_valid, op, profile, v.
  Cursor c{body};
  TokenRequestView view;
  if (!c.literal("{\"id\":") || !c.number(std::numeric_limits<std::uint64_t>::max(), view.id)) return std::nullopt;
  if (c.peek(",\"min_valid\":")) {
    c.literal(",\"min_valid\":");
    std::uint64_t seconds = 0;
    if (!c.number(static_cast<std::uint64_t>(proto::kMaxDurationSeconds), seconds)) return std::nullopt;
    view.min_valid = static_cast<std::int64_t>(seconds);
  }
  if (!c.literal(",\"op\":\"get_token\"")) return std::nullopt;
  if (c.peek(",\"profile\":")) {
    c.literal(",\"profile\":");
    if (!c.plain_string(view.profile)) return std::nullopt;
  }
  if (!c.literal(",\"v\":1}") || !c.rest.empty()) return std::nullopt;
  return view;
}

}  // namespace agentd::app
