// get_token's request frame recognised without building JSON: the agent's hot path. Only the exact
// bytes proto::encode_request writes for a GetToken are recognised; anything else goes to the full
// decoder (proto::decode_request), so what a request means never depends on which path read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace agentd::app {

// A get_token request as the scanner saw it; `profile` points into the scanned body.
struct TokenRequestView {
  std::uint64_t id = 0;
  std::string_view profile;    // "" when absent (the default profile)
  std::int64_t min_valid = 0;  // 0 .. proto::kMaxDurationSeconds
};

// `body` when it is exactly {"id":N[,"min_valid":N],"op":"get_token"[,"profile":"S"],"v":1} with no
// blanks, plain decimal numbers (no sign, no leading zero, in range) and S printable ASCII without
// '"' or '\\'; else nullopt (the caller decodes the usual way). For every body it accepts,
// proto::decode_request gives the same id, profile and min_valid. Never reads past `body`.
std::optional<TokenRequestView> scan_get_token(std::string_view body) noexcept;

}  // namespace agentd::app
