// The frame decoder and the request codec (proto/): the bytes any local peer may send the agent, and
// the replies the client reads. Input byte 0 chooses the mode: odd, the rest is a stream of frames
// (4-byte length + body) as the agent's reader cuts them; even, the rest is one frame body.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz/check.hpp"
#include "proto/codec.hpp"

namespace {

template <std::size_t... I>
void decode_reply_number(std::size_t which, std::string_view body, std::uint64_t id, std::index_sequence<I...>) {
  // The client's parser of a reply, for the reply type of request number `which`.
  ((which == I ? (void)proto::decode_reply<typename std::variant_alternative_t<I, proto::Request>::Reply>(body, id)
               : (void)0),
   ...);
}

void check_error(const proto::Error& error) { FUZZ_CHECK(fuzz::printable_message(error.message)); }

void decode_body(std::string_view body) {
  constexpr std::size_t kOps = std::variant_size_v<proto::Request>;
  decode_reply_number(body.size() % kOps, body, 1, std::make_index_sequence<kOps>{});

  auto decoded = proto::decode_request(body);
  if (auto* rejected = std::get_if<proto::RejectedRequest>(&decoded)) {
    check_error(rejected->error);
    return;
  }
  const auto& frame = std::get<proto::RequestFrame>(decoded);
  // What decodes must encode and decode again to the same op and id: client and agent share the codec.
  std::visit(
      [&](const auto& request) {
        using Req = std::decay_t<decltype(request)>;
        const std::string wire = proto::encode_request(frame.id, request);
        FUZZ_CHECK(wire.size() > proto::kHeaderSize);
        auto again = proto::decode_request(std::string_view(wire).substr(proto::kHeaderSize));
        auto* ok = std::get_if<proto::RequestFrame>(&again);
        FUZZ_CHECK(ok != nullptr);
        FUZZ_CHECK(ok->id == frame.id);
        FUZZ_CHECK(std::holds_alternative<Req>(ok->request));
      },
      frame.request);
}

void decode_stream(std::string_view data) {
  while (data.size() >= proto::kHeaderSize) {
    std::span<const unsigned char, proto::kHeaderSize> header(reinterpret_cast<const unsigned char*>(data.data()),
                                                              proto::kHeaderSize);
    auto length = proto::decode_header(header);
    if (!length) {
      check_error(length.error());
      return;
    }
    FUZZ_CHECK(*length > 0 && *length <= proto::kMaxFrame);
    FUZZ_CHECK(proto::encode_header(static_cast<std::uint32_t>(*length)) ==
               (std::array<unsigned char, proto::kHeaderSize>{header[0], header[1], header[2], header[3]}));
    data.remove_prefix(proto::kHeaderSize);
    const auto body = data.substr(0, *length);
    decode_body(body);
    data.remove_prefix(body.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) decode_stream(rest);
  else decode_body(rest);
  return 0;
}
