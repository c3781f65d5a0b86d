// get_token's hot path (agentd/app/token_scan.hpp, App::answer_now) against the full decoder, on the
// real agent: a frame in any other shape than the client's gets exactly the reply its canonical form
// gets (which takes the hot path), and a frame that does not decode gets the decoder's error.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec.hpp"
#include "tests/integration/client_common.hpp"
#include "tests/support/platform_fixture.hpp"

using namespace clienttest;  // NOLINT(google-build-using-namespace): the helpers of this suite
using namespace std::chrono_literals;

namespace {

nlohmann::json ask(AgentFixture& f, const std::string& body) {
  auto reply = testsupport::agent_exchange(f.socket(), proto::frame(body), 15s);
  REQUIRE_MESSAGE(reply.ok(), body);
  auto parsed = nlohmann::json::parse(*reply, nullptr, false);
  REQUIRE_MESSAGE(!parsed.is_discarded(), body);
  return parsed;
}

}  // namespace

TEST_CASE("hot path: get_token frames in other shapes get the reply of their canonical form, bad ones the decoder's error") {
  AgentFixture f;
  f.start();
  Secrets production, staging;
  auto imported = f.client({"auth", "import", write_creds(f, "multi.json", multi_shape(production, staging))});
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);

  const std::vector<std::string> bodies = {
      R"({"v":1,"id":5,"op":"get_token","profile":"staging"})",
      R"({"id": 6, "op": "get_token", "v": 1})",
      R"({"id":7,"op":"get_token","profile":"st\u0061ging","v":1})",
      R"({"id":8,"op":"get_token","profile":"production","profile":"staging","v":1})",
      R"({"id":9,"min_valid":60,"op":"get_token","v":1,"extra":true})",
      R"({"id":18446744073709551615,"op":"get_token","v":1} )",
      R"({"id":10,"op":"get_token","profile":"nobody","v":1})",
      "{\"id\":11,\"op\":\"get_token\",\"profile\":\"prod\xc3\xa9\",\"v\":1}",
      R"({"id":12,"min_valid":31622400,"op":"get_token","v":1})",
      // These do not decode: the decoder's error, as before the hot path existed.
      R"({"id":"1","op":"get_token","v":1})",
      R"({"id":13,"op":"get_token","v":1.0})",
      R"({"id":14,"min_valid":-1,"op":"get_token","v":1})",
      R"({"id":15,"min_valid":31622401,"op":"get_token","v":1})",
      R"({"id":16,"op":"get_token","profile":1,"v":1})",
      R"({"id":18446744073709551616,"op":"get_token","v":1})",
      "{\"id\":17,\"op\":\"get_token\",\"profile\":\"\xff\",\"v\":1}",
  };
  int served = 0;
  for (const auto& body : bodies) {
    const auto decoded = proto::decode_request(body);
    const auto answer = ask(f, body);
    if (const auto* frame = std::get_if<proto::RequestFrame>(&decoded)) {
      const auto& request = std::get<proto::GetToken>(frame->request);
      const std::string canonical = proto::encode_request(frame->id, request).substr(proto::kHeaderSize);
      CHECK_MESSAGE(answer == ask(f, canonical), body);
      served += answer.value("ok", false) ? 2 : 0;
    } else {
      const auto& rejected = std::get<proto::RejectedRequest>(decoded);
      const auto expected = nlohmann::json::parse(proto::encode_error(rejected.id, rejected.error).substr(proto::kHeaderSize));
      CHECK_MESSAGE(answer == expected, body);
    }
  }
  CHECK(served == 14);  // 7 shapes answered with a token, each twice
  // The token is the one imported, in the hot path's reply too.
  const auto fast = ask(f, proto::encode_request(3, proto::GetToken{"staging", 0}).substr(proto::kHeaderSize));
  CHECK(fast.value("token", "") == staging.access);
  CHECK(fast.value("id", 0) == 3);
}

TEST_CASE("hot path: each get_token answered from the cache is audited like any other request") {
  AgentFixture f;
  f.start();
  Secrets s;
  auto imported = f.client({"auth", "import", write_creds(f, "creds.json", single_shape(s))});
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  constexpr int kRequests = 5;
  for (int i = 0; i < kRequests; ++i) {
    const auto answer = ask(f, proto::encode_request(100 + i, proto::GetToken{}).substr(proto::kHeaderSize));
    REQUIRE(answer.value("ok", false));
  }
  // Buffered lines reach the file within a second (docs/audit.md): poll for them.
  auto count_lines = [&] {
    int lines = 0;
    const std::string log = testsupport::read_file(f.home() + "/audit.log");
    for (std::size_t at = 0; (at = log.find("\"op\":\"get_token\",\"profile\":\"production\",\"outcome\":\"ok\"", at)) != std::string::npos; ++at) {
      ++lines;
    }
    return lines;
  };
  CHECK(testsupport::eventually([&] { return count_lines() == kRequests; }, 10s));
  const auto status = testsupport::profile_status(f, "production");
  CHECK(status.value("requests", 0) == kRequests);
  CHECK(status.value("failures", 0) == 0);
}
