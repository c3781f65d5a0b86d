#include <doctest/doctest.h>

#include "proto/frame.hpp"
#include "proto/mask.hpp"

TEST_CASE("headers are 4-byte big-endian lengths") {
  auto header = proto::encode_header(0x01020304);
  CHECK(header[0] == 1);
  CHECK(header[3] == 4);
  auto small = proto::encode_header(300);
  auto decoded = proto::decode_header(small);
  REQUIRE(decoded.ok());
  CHECK(*decoded == 300);
}

TEST_CASE("oversized and empty lengths are refused without allocating") {
  auto huge = proto::encode_header(1u << 30);  // 1 GiB
  auto decoded = proto::decode_header(huge);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().code == proto::ErrorCode::frame_too_large);
  CHECK_FALSE(proto::decode_header(proto::encode_header(proto::kMaxFrame + 1)).ok());
  CHECK(proto::decode_header(proto::encode_header(proto::kMaxFrame)).ok());
  CHECK(proto::decode_header(proto::encode_header(0)).error().code == proto::ErrorCode::bad_request);
}

TEST_CASE("frame prepends the header") {
  auto f = proto::frame("{}");
  CHECK(f.size() == 6);
  CHECK(f.substr(4) == "{}");
}

TEST_CASE("masking shows at most the head and tail of a long secret") {
  CHECK(proto::mask_secret("flx_abcdefghijklmnopa1b2") == "flx_\xE2\x80\xA6" "a1b2");
  CHECK(proto::mask_secret("short") == "\xE2\x80\xA6");
  CHECK(proto::mask_secret("") == "");
  auto masked = proto::mask_secret("flx_refresh_0123456789abcdef");
  CHECK(masked.find("0123456789") == std::string::npos);
}
