#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "proto/base64.hpp"
#include "proto/codec.hpp"
#include "proto/redact.hpp"

TEST_CASE("base64: RFC 4648 test vectors") {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(proto::base64_encode(plain) == encoded);
    auto decoded = proto::base64_decode(encoded);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == plain);
    CHECK(proto::base64_encoded_size(plain.size()) == encoded.size());
  }
}

TEST_CASE("base64: every byte value round-trips, at every length remainder") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    const std::string bytes = all.substr(0, n);
    auto decoded = proto::base64_decode(proto::base64_encode(bytes));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == bytes);
  }
  CHECK(proto::base64_encode("\xff\xfe\xfd") == "//79");  // the two non-alphanumeric symbols
}

TEST_CASE("base64: strict decoding refuses everything but the one canonical encoding") {
  const char* bad[] = {
      "Zg",        // missing padding
      "Zg=",       // length not a multiple of 4
      "Zg==Zg==",  // padding in the middle
      "Z===",      // too much padding
      "====",      //
      "Zh==",      // non-zero bits under the padding (a second spelling of "f")
      "Zm9=",      // likewise for two bytes
      "Zm9v\n",    // whitespace
      "Zm 9v",     //
      "Zm-_",      // base64url alphabet
      "Zm9v====",  //
      "Z\x80==",   // a byte outside ASCII
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(proto::base64_decode(text).has_value());
  }
  CHECK_FALSE(proto::base64_decode(std::string("Zm\0v", 4)).has_value());
}

TEST_CASE("redact limits: the largest chunk fits a frame both ways, with the largest request id") {
  proto::Redact request;
  request.data = proto::base64_encode(std::string(proto::kMaxRedactInput, '\xff'));
  request.final = true;
  const std::string out = proto::encode_request(UINT64_MAX, request);
  CHECK(out.size() <= proto::kHeaderSize + proto::kMaxFrame);
  proto::RedactReply reply;
  reply.data = proto::base64_encode(std::string(proto::kMaxRedactOutput, '\x00'));
  reply.consumed = static_cast<std::int64_t>(proto::kMaxRedactInput);
  const std::string back = proto::encode_reply(UINT64_MAX, reply);
  CHECK(back.size() <= proto::kHeaderSize + proto::kMaxFrame);
}
