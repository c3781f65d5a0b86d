// A cursor for the two hot frames read without a JSON parser (get_token's request in the agent, its
// reply in the client): only the exact bytes our own encoder writes are recognised, and every step
// either matches and advances or fails, so the caller falls back to the full decoder.
#pragma once

#include <cstdint>
#include <string_view>

namespace proto {

struct PlainScan {
  std::string_view rest;

  // Consumes `text` when the input starts with it.
  bool literal(std::string_view text) noexcept {
    if (rest.substr(0, text.size()) != text) return false;
    rest.remove_prefix(text.size());
    return true;
  }
  bool peek(std::string_view text) const noexcept { return rest.substr(0, text.size()) == text; }

  // A JSON number as nlohmann writes an unsigned integer: digits, no leading zero, at most `max`.
  // Anything the full decoder could read differently (a sign, a fraction, an exponent, a value past
  // std::uint64_t, which nlohmann reads as a float) is refused.
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
      if (!plain_char(c)) return false;
      ++n;
    }
    if (n == rest.size()) return false;
    out = rest.substr(0, n);
    rest.remove_prefix(n + 1);
    return true;
  }

  // Printable ASCII that JSON writes as itself inside a string.
  static bool plain_char(char c) noexcept { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; }
};

}  // namespace proto
