#include "agentd/tokens/token_reply.hpp"

#include <charconv>
#include <string_view>

#include "proto/frame.hpp"
#include "proto/mask.hpp"

namespace agentd::tokens {
namespace {

constexpr std::size_t kMaxIdDigits = 20;  // std::uint64_t in decimal
constexpr std::string_view kHex = "0123456789abcdef";

// Appends `text` as a JSON string (quotes included), escaped as nlohmann's dump() does for ASCII.
// False for non-ASCII bytes, which dump() validates (and may replace): left to the slow path.
bool append_json_string(proto::SecureString& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) return false;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return true;
}

// The reply's members after the id, keys in nlohmann's (sorted) order, closing brace included.
bool encode_tail(proto::SecureString& out, std::string_view profile, const Entry& entry) {
  const bool api_key = !entry.credentials.api_key.empty();
  if (!api_key && entry.expires) {
    out += "\"expires_at\":\"";
    out += format_rfc3339(to_system_time(*entry.expires));
    out += "\",";
  }
  out += "\"ok\":true,\"profile\":";
  if (!append_json_string(out, profile)) return false;
  out += ",\"token\":";
  if (!append_json_string(out, api_key ? entry.credentials.api_key : entry.credentials.access_token)) return false;
  out += '}';
  return true;
}

}  // namespace

bool token_reply_frame(std::uint64_t id, std::string_view profile, Entry& entry, std::string& frame) {
  if (!entry.reply_valid || entry.reply_expires != entry.expires) {
    proto::wipe(entry.reply);
    entry.reply_valid = false;
    if (!encode_tail(entry.reply, profile, entry)) {
      proto::wipe(entry.reply);
      return false;
    }
    entry.reply_expires = entry.expires;
    entry.reply_valid = true;
  }
  char digits[kMaxIdDigits];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, id);
  const std::string_view id_text(digits, static_cast<std::size_t>(end - digits));
  constexpr std::string_view kOpen = "{\"id\":";
  const std::size_t length = kOpen.size() + id_text.size() + 1 + entry.reply.size();
  if (ec != std::errc() || length > proto::kMaxFrame) return false;
  const auto header = proto::encode_header(static_cast<std::uint32_t>(length));
  if (frame.capacity() < header.size() + length) proto::wipe(frame);  // freed by the growth: no token left in it
  frame.clear();
  frame.reserve(header.size() + length);
  frame.append(reinterpret_cast<const char*>(header.data()), header.size());
  frame += kOpen;
  frame += id_text;
  frame += ',';
  frame.append(entry.reply.data(), entry.reply.size());
  return true;
}

}  // namespace agentd::tokens
