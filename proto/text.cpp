#include "proto/text.hpp"

#include <cstdint>

namespace proto {
namespace {

constexpr unsigned char kEsc = 0x1b;
constexpr unsigned char kBel = 0x07;
constexpr unsigned char kDel = 0x7f;
constexpr char kReplacement = '?';

// Length of the valid UTF-8 sequence starting at `i` (and its code point), or 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t& code_point) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t length = 0;
  std::uint32_t min = 0;
  if (lead >= 0xc2 && lead <= 0xdf) { length = 2; code_point = lead & 0x1f; min = 0x80; }
  else if (lead >= 0xe0 && lead <= 0xef) { length = 3; code_point = lead & 0x0f; min = 0x800; }
  else if (lead >= 0xf0 && lead <= 0xf4) { length = 4; code_point = lead & 0x07; min = 0x10000; }
  else return 0;
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto byte = static_cast<unsigned char>(s[i + k]);
    if ((byte & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not text.
  if (code_point < min || (code_point >= 0xd800 && code_point <= 0xdfff) || code_point > 0x10ffff) return 0;
  return length;
}

// C1 controls, and the bidirectional embeddings, overrides and isolates that can make a terminal show
// text in another order than it is (U+202A-U+202E, U+2066-U+2069).
bool invisible_control(std::uint32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9f) || (code_point >= 0x202a && code_point <= 0x202e) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

// Index just past the escape sequence that starts with ESC at `i`. A terminal would swallow the
// whole sequence, so it goes whole: leaving "[31m" behind would still be noise, and an unterminated
// OSC/DCS string ends the text.
std::size_t skip_escape(std::string_view s, std::size_t i) {
  ++i;  // ESC
  if (i >= s.size()) return i;
  const char kind = s[i++];
  if (kind == '[') {  // CSI: parameter bytes 0x30-0x3f, intermediates 0x20-0x2f, one final 0x40-0x7e
    while (i < s.size() && static_cast<unsigned char>(s[i]) >= 0x20 && static_cast<unsigned char>(s[i]) <= 0x3f) ++i;
    if (i < s.size() && static_cast<unsigned char>(s[i]) >= 0x40 && static_cast<unsigned char>(s[i]) <= 0x7e) ++i;
    return i;
  }
  if (kind == ']' || kind == 'P' || kind == '_' || kind == '^' || kind == 'X') {  // OSC, DCS, APC, PM, SOS
    while (i < s.size()) {
      const auto byte = static_cast<unsigned char>(s[i]);
      if (byte == kBel) return i + 1;
      if (byte == kEsc) return i + 1 < s.size() && s[i + 1] == '\\' ? i + 2 : i + 1;
      ++i;
    }
    return i;
  }
  // Two-byte ESC sequences (ESC c, ESC 7, ...); ESC plus intermediates (ESC ( B) take one more.
  while (i < s.size() && static_cast<unsigned char>(s[i - 1]) >= 0x20 && static_cast<unsigned char>(s[i - 1]) <= 0x2f) ++i;
  return i;
}

}  // namespace

std::string printable(std::string_view text, LineBreaks line_breaks) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == kEsc) {
      i = skip_escape(text, i);
    } else if (byte == '\n' || byte == '\t') {
      out += line_breaks == LineBreaks::keep ? static_cast<char>(byte) : ' ';
      ++i;
    } else if (byte < 0x20 || byte == kDel) {
      ++i;
    } else if (byte < 0x80) {
      out += static_cast<char>(byte);
      ++i;
    } else {
      std::uint32_t code_point = 0;
      const std::size_t length = utf8_sequence(text, i, code_point);
      if (length == 0) {
        // A raw C1 byte (0x9b is CSI on 8-bit terminals) or broken UTF-8: never passed through.
        out += kReplacement;
        ++i;
      } else {
        if (!invisible_control(code_point)) out.append(text.substr(i, length));
        i += length;
      }
    }
  }
  return out;
}

}  // namespace proto
