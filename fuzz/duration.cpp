// The DURATION parser (proto/duration) shared by the client's options and the agent's --lifetime,
// plus the RFC 3339 times (agentd/tokens/clock) that expires_at and forget_at carry.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agentd/tokens/clock.hpp"
#include "client/duration.hpp"
#include "fuzz/check.hpp"
#include "proto/duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto seconds = proto::parse_seconds(text)) {
    FUZZ_CHECK(*seconds >= 0 && *seconds <= proto::kMaxDurationSeconds);
    FUZZ_CHECK(proto::parse_seconds(std::to_string(*seconds)) == seconds);
    FUZZ_CHECK(proto::parse_seconds(std::to_string(*seconds) + "s") == seconds);
    FUZZ_CHECK(!client::format_duration(*seconds).empty());
  }
  if (auto when = agentd::tokens::parse_rfc3339(text)) {
    // What the agent writes back (forget_at, the bridge file's expires_at) must read back, to the second.
    const std::string written = agentd::tokens::format_rfc3339(*when);
    const auto again = agentd::tokens::parse_rfc3339(written);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == std::chrono::floor<std::chrono::seconds>(*when));
  }
  return 0;
}
