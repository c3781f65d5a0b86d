// get_token's scanner (agentd/app/token_scan.hpp) against the full decoder: whatever the scanner
// accepts, proto::decode_request reads the same way; what the client sends, the scanner accepts;
// everything else (the tricky frames below) goes to the full decoder.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agentd/app/token_scan.hpp"
#include "proto/codec.hpp"
#include "proto/duration.hpp"

namespace {

using agentd::app::scan_get_token;

std::string body_of(const std::string& frame) { return frame.substr(proto::kHeaderSize); }

// When the scanner accepts `body`, the full decoder must give a get_token with the same fields.
// Returns whether the scanner accepted it.
bool agrees(std::string_view body) {
  const auto scanned = scan_get_token(body);
  if (!scanned) return false;
  const auto decoded = proto::decode_request(body);
  const auto* frame = std::get_if<proto::RequestFrame>(&decoded);
  REQUIRE_MESSAGE(frame != nullptr, "scanner accepted what the decoder rejects: ", body);
  const auto* request = std::get_if<proto::GetToken>(&frame->request);
  REQUIRE_MESSAGE(request != nullptr, "scanner accepted another op: ", body);
  CHECK_MESSAGE(frame->id == scanned->id, body);
  CHECK_MESSAGE(request->profile == scanned->profile, body);
  CHECK_MESSAGE(request->min_valid == scanned->min_valid, body);
  return true;
}

}  // namespace

TEST_CASE("token scan: every get_token frame the client encodes is recognised, with its fields") {
  const std::vector<std::uint64_t> ids = {0, 1, 42, 9223372036854775808u, 18446744073709551615u};
  const std::vector<std::string> profiles = {"", "production", "a b", "x~!#$%&'()*+,-./:;<=>?@[]^_`{|}", std::string(300, 'p')};
  const std::vector<std::int64_t> min_valids = {0, 1, 300, proto::kMaxDurationSeconds};
  for (const auto id : ids) {
    for (const auto& profile : profiles) {
      for (const auto min_valid : min_valids) {
        const std::string body = body_of(proto::encode_request(id, proto::GetToken{profile, min_valid}));
        CHECK_MESSAGE(agrees(body), body);
      }
    }
  }
}

TEST_CASE("token scan: tricky frames go to the full decoder, and nothing accepted is read differently") {
  // Each of these must be left to decode_request (the scanner returns nullopt).
  const std::vector<std::string> fallback = {
      // blanks and order
      R"({"id": 1,"op":"get_token","v":1})", R"( {"id":1,"op":"get_token","v":1})", R"({"id":1,"op":"get_token","v":1} )",
      "{\"id\":1,\n\"op\":\"get_token\",\"v\":1}", R"({"v":1,"id":1,"op":"get_token"})",
      R"({"op":"get_token","id":1,"v":1})", R"({"id":1,"op":"get_token","v":1,"profile":"p"})",
      R"({"id":1,"op":"get_token","profile":"p","min_valid":5,"v":1})",
      // duplicate keys (nlohmann keeps the last)
      R"({"id":1,"id":2,"op":"get_token","v":1})", R"({"id":1,"op":"get_token","profile":"a","profile":"b","v":1})",
      R"({"id":1,"min_valid":5,"min_valid":6,"op":"get_token","v":1})", R"({"id":1,"op":"get_token","op":"agent_stop","v":1})",
      R"({"id":1,"op":"get_token","v":1,"v":2})",
      // escapes and unicode
      R"({"id":1,"op":"get_token","profile":"a\"b","v":1})", R"({"id":1,"op":"get_token","profile":"\u0061","v":1})",
      R"({"id":1,"op":"get\u005ftoken","v":1})", R"({"id":1,"op":"get_token","profile":"\ud83d\ude00","v":1})",
      R"({"id":1,"op":"get_token","profile":"a\\","v":1})", "{\"id\":1,\"op\":\"get_token\",\"profile\":\"\xc3\xa9\",\"v\":1}",
      "{\"id\":1,\"op\":\"get_token\",\"profile\":\"\xff\",\"v\":1}", "{\"id\":1,\"op\":\"get_token\",\"profile\":\"a\x01\",\"v\":1}",
      "{\"id\":1,\"op\":\"get_token\",\"profile\":\"a\x7f\",\"v\":1}", "{\"id\":1,\"op\":\"get_token\",\"profile\":\"a\tb\",\"v\":1}",
      // numbers
      R"({"id":18446744073709551616,"op":"get_token","v":1})", R"({"id":99999999999999999999999,"op":"get_token","v":1})",
      R"({"id":-1,"op":"get_token","v":1})", R"({"id":01,"op":"get_token","v":1})", R"({"id":00,"op":"get_token","v":1})",
      R"({"id":1.0,"op":"get_token","v":1})", R"({"id":1e3,"op":"get_token","v":1})", R"({"id":1E3,"op":"get_token","v":1})",
      R"({"id":,"op":"get_token","v":1})", R"({"id":1,"min_valid":-1,"op":"get_token","v":1})",
      R"({"id":1,"min_valid":1.5,"op":"get_token","v":1})", R"({"id":1,"min_valid":31622401,"op":"get_token","v":1})",
      R"({"id":1,"min_valid":10000000000,"op":"get_token","v":1})", R"({"id":1,"min_valid":05,"op":"get_token","v":1})",
      R"({"id":1,"op":"get_token","v":1.0})", R"({"id":1,"op":"get_token","v":01})", R"({"id":1,"op":"get_token","v":2})",
      R"({"id":1,"op":"get_token","v":10})", R"({"id":1,"op":"get_token","v":-1})",
      // wrong types
      R"({"id":"1","op":"get_token","v":1})", R"({"id":1,"op":"get_token","v":"1"})", R"({"id":1,"op":"get_token","v":true})",
      R"({"id":1,"op":"get_token","profile":1,"v":1})", R"({"id":1,"op":"get_token","profile":null,"v":1})",
      R"({"id":1,"op":"get_token","profile":["p"],"v":1})", R"({"id":1,"min_valid":"5","op":"get_token","v":1})",
      R"({"id":1,"min_valid":null,"op":"get_token","v":1})", R"({"id":null,"op":"get_token","v":1})",
      // other ops and near misses
      R"({"id":1,"op":"get_tokens","v":1})", R"({"id":1,"op":"get_token ","v":1})", R"({"id":1,"op":"GET_TOKEN","v":1})",
      R"({"id":1,"op":"auth_refresh","v":1})", R"({"id":1,"op":"get_token"})", R"({"id":1,"v":1})",
      R"({"id":1,"op":"get_token","extra":1,"v":1})", R"({"extra":1,"id":1,"op":"get_token","v":1})",
      R"({"id":1,"op":"get_token","profile":"p","v":1,"z":0})",
      // trailing bytes, truncation, not an object
      R"({"id":1,"op":"get_token","v":1}x)", R"({"id":1,"op":"get_token","v":1}})", std::string(R"({"id":1,"op":"get_token","v":1})") + '\0',
      R"({"id":1,"op":"get_token","profile":"p)", R"([{"id":1,"op":"get_token","v":1}])", "", "{", "{}", "null"};
  for (const auto& body : fallback) {
    CHECK_FALSE_MESSAGE(agrees(body), body);
  }
  // Every prefix of the longest shape: only the whole frame is accepted.
  const std::string whole = body_of(proto::encode_request(18446744073709551615u, proto::GetToken{"staging", 600}));
  for (std::size_t n = 0; n < whole.size(); ++n) CHECK_FALSE(agrees(whole.substr(0, n)));
  CHECK(agrees(whole));
  // One byte changed anywhere: accepted only where the decoder reads the same thing.
  for (std::size_t i = 0; i < whole.size(); ++i) {
    for (const char c : std::string_view("0 9\"\\:,{}a\x80")) {
      std::string mutated = whole;
      mutated[i] = c;
      agrees(mutated);  // checks agreement whenever the scanner accepts
    }
  }
}
