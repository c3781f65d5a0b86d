#include "agentd/app/token_scan.hpp"

#include <limits>

#include "proto/duration.hpp"
#include "proto/plain_scan.hpp"

namespace agentd::app {

std::optional<TokenRequestView> scan_get_token(std::string_view body) noexcept {
  // Keys in the order nlohmann writes them (sorted): id, min_valid, op, profile, v.
  proto::PlainScan c{body};
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
