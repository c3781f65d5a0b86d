// get_token's two scanners, the hot paths that read frames without a JSON parser: the agent's over the
// request (agentd/app/token_scan.hpp), bytes any local peer may send, and the client's over the reply
// (proto/token_fast.hpp). Neither reads past the body, and whatever either accepts, the full decoder
// reads the same way.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agentd/app/token_scan.hpp"
#include "fuzz/check.hpp"
#include "proto/codec.hpp"
#include "proto/token_fast.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{1}}) {
    if (const auto reply = proto::scan_token_reply(body, id)) {
      const auto decoded = proto::decode_reply<proto::TokenReply>(body, id);
      FUZZ_CHECK(decoded.ok());
      FUZZ_CHECK(*decoded == *reply);
    }
  }
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
