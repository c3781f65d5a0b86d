// get_token's scanner (agentd/app/token_scan.hpp), the agent's hot path over bytes any local peer may
// send: it never reads past the body, and whatever it accepts the full decoder reads the same way.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agentd/app/token_scan.hpp"
#include "fuzz/check.hpp"
#include "proto/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto scanned = agentd::app::scan_get_token(body);
  if (!scanned) return 0;
  const auto decoded = proto::decode_request(body);
  const auto* frame = std::get_if<proto::RequestFrame>(&decoded);
  FUZZ_CHECK(frame != nullptr);
  const auto* request = std::get_if<proto::GetToken>(&frame->request);
  FUZZ_CHECK(request != nullptr);
  FUZZ_CHECK(frame->id == scanned->id);
  FUZZ_CHECK(request->profile == scanned->profile);
  FUZZ_CHECK(request->min_valid == scanned->min_valid);
  return 0;
}
