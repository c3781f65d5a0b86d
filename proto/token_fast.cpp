#include "proto/token_fast.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "proto/codec.hpp"
#include "proto/plain_scan.hpp"

namespace proto {
namespace {

static_assert(kProtocolVersion == 1, "encode_get_token and scan_token_reply write and read \"v\":1");

bool plain(std::string_view text) noexcept { return std::all_of(text.begin(), text.end(), PlainScan::plain_char); }

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace

std::string encode_get_token(std::uint64_t id, const GetToken& request) {
  if (request.min_valid < 0 || !plain(request.profile)) return encode_request(id, request);
  std::string body;
  body.reserve(64 + request.profile.size());
  body.append("{\"id\":");
  append_number(body, id);
  if (request.min_valid != 0) {
    body.append(",\"min_valid\":");
    append_number(body, static_cast<std::uint64_t>(request.min_valid));
  }
  body.append(",\"op\":\"get_token\"");
  if (!request.profile.empty()) body.append(",\"profile\":\"").append(request.profile).append("\"");
  body.append(",\"v\":1}");
  return frame(body);
}

// encode_reply writes {"expires_at":S,"id":N,"ok":true,"profile":S,"token":S}, and the agent's cached
// reply {"id":N,"expires_at":S,...} (agentd/tokens/token_reply.hpp); expires_at is left out when empty.
std::optional<TokenReply> scan_token_reply(std::string_view body, std::uint64_t expected_id) {
  PlainScan c{body};
  std::string_view expires_at;
  std::string_view profile;
  std::string_view token;
  std::uint64_t id = 0;
  auto read_id = [&] {
    return c.literal("\"id\":") && c.number(std::numeric_limits<std::uint64_t>::max(), id) && id == expected_id &&
           c.literal(",");
  };
  if (!c.literal("{")) return std::nullopt;
  const bool id_first = c.peek("\"id\":");
  if (id_first && !read_id()) return std::nullopt;
  if (c.literal("\"expires_at\":") && (!c.plain_string(expires_at) || !c.literal(","))) return std::nullopt;
  if (!id_first && !read_id()) return std::nullopt;
  if (!c.literal("\"ok\":true,\"profile\":") || !c.plain_string(profile)) return std::nullopt;
  if (!c.literal(",\"token\":") || !c.plain_string(token) || !c.literal("}") || !c.rest.empty()) return std::nullopt;
  TokenReply reply;
  reply.profile = profile;
  reply.token = token;
  reply.expires_at = expires_at;
  return reply;
}

Result<TokenReply> decode_token_reply(std::string_view body, std::uint64_t expected_id) {
  if (auto scanned = scan_token_reply(body, expected_id)) return std::move(*scanned);
  return decode_reply<TokenReply>(body, expected_id);
}

}  // namespace proto
