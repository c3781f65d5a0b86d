#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "proto/codec.hpp"
#include "tests/unit/proto/sample.hpp"

namespace {

std::string body_of(const std::string& frame) { return frame.substr(proto::kHeaderSize); }

proto::RejectedRequest rejected(const std::variant<proto::RequestFrame, proto::RejectedRequest>& d) {
  REQUIRE(std::holds_alternative<proto::RejectedRequest>(d));
  return std::get<proto::RejectedRequest>(d);
}

}  // namespace

TEST_CASE("a request round-trips through encode and decode") {
  proto::GetToken request{.profile = "staging", .min_valid = 120};
  auto decoded = proto::decode_request(body_of(proto::encode_request(42, request)));
  REQUIRE(std::holds_alternative<proto::RequestFrame>(decoded));
  auto& frame = std::get<proto::RequestFrame>(decoded);
  CHECK(frame.id == 42);
  REQUIRE(std::holds_alternative<proto::GetToken>(frame.request));
  CHECK(std::get<proto::GetToken>(frame.request).profile == "staging");
  CHECK(std::get<proto::GetToken>(frame.request).min_valid == 120);
}

namespace {

// Encodes `request` as the client does and decodes it as the agent does: the same value must come out.
template <typename Req>
void check_request_round_trip(const Req& request) {
  auto decoded = proto::decode_request(body_of(proto::encode_request(7, request)));
  if (const auto* rejected = std::get_if<proto::RejectedRequest>(&decoded)) FAIL(rejected->error.message);
  const auto& frame = std::get<proto::RequestFrame>(decoded);
  CHECK(frame.id == 7);
  REQUIRE(std::holds_alternative<Req>(frame.request));
  CHECK(std::get<Req>(frame.request) == request);
}

// Encodes `reply` as the agent does and decodes it as the client does.
template <typename Rep>
void check_reply_round_trip(const Rep& reply) {
  auto decoded = proto::decode_reply<Rep>(body_of(proto::encode_reply(8, reply)), 8);
  if (!decoded) FAIL(decoded.error().message);
  CHECK(*decoded == reply);
}

// Every alternative of proto::Request and its Reply, each with every field set (tests/unit/proto/sample.hpp)
// and default-constructed: a request added to the variant is covered without editing this test.
template <std::size_t... I>
void check_every_op(std::index_sequence<I...>) {
  (
      [] {
        using Req = std::variant_alternative_t<I, proto::Request>;
        using Rep = typename Req::Reply;
        INFO("op " << Req::kOp);
        const Req request = testsupport::sample<Req>();
        const Rep reply = testsupport::sample<Rep>();
        // The sample differs from the default wherever the message has fields at all.
        if constexpr (!std::is_empty_v<Req>) CHECK_FALSE(request == Req{});
        if constexpr (!std::is_empty_v<Rep>) CHECK_FALSE(reply == Rep{});
        check_request_round_trip(request);
        check_request_round_trip(Req{});
        check_reply_round_trip(reply);
        check_reply_round_trip(Rep{});
      }(),
      ...);
}

}  // namespace

TEST_CASE("codec: every request and reply round-trips field by field, filled and empty") {
  check_every_op(std::make_index_sequence<std::variant_size_v<proto::Request>>{});
}

TEST_CASE("replies carry the request id and typed errors") {
  proto::TokenReply reply{.profile = "production", .token = "tok", .expires_at = "2024-11-02T10:00:00Z"};
  auto decoded = proto::decode_reply<proto::TokenReply>(body_of(proto::encode_reply(9, reply)), 9);
  REQUIRE(decoded.ok());
  CHECK(decoded->token == "tok");

  auto wrong_id = proto::decode_reply<proto::TokenReply>(body_of(proto::encode_reply(9, reply)), 10);
  CHECK_FALSE(wrong_id.ok());

  auto error = proto::decode_reply<proto::TokenReply>(
      body_of(proto::encode_error(3, {proto::ErrorCode::login_required, "run `fluxloop auth login`"})), 3);
  REQUIRE_FALSE(error.ok());
  CHECK(error.error().code == proto::ErrorCode::login_required);
  CHECK(error.error().message == "run `fluxloop auth login`");
  CHECK(proto::exit_code_for(error.error().code) == 3);
}

TEST_CASE("the error envelope has the documented shape") {
  auto body = body_of(proto::encode_error(5, {proto::ErrorCode::login_required, "m"}));
  auto j = nlohmann::json::parse(body);
  CHECK(j == nlohmann::json::parse(R"({"id":5,"ok":false,"error":{"code":"login_required","message":"m"}})"));
}

TEST_CASE("the decoder rejects bad input with a clear error") {
  SUBCASE("not JSON") {
    auto r = rejected(proto::decode_request("{not json"));
    CHECK(r.error.code == proto::ErrorCode::bad_request);
  }
  SUBCASE("invalid UTF-8 inside a string") {
    auto r = rejected(proto::decode_request("{\"v\":1,\"id\":1,\"op\":\"get_token\",\"profile\":\"\xff\xfe\"}"));
    CHECK(r.error.code == proto::ErrorCode::bad_request);
  }
  SUBCASE("not an object") {
    CHECK(rejected(proto::decode_request("[1,2,3]")).error.code == proto::ErrorCode::bad_request);
  }
  SUBCASE("missing id") {
    CHECK(rejected(proto::decode_request(R"({"v":1,"op":"agent_status"})")).error.code == proto::ErrorCode::bad_request);
  }
  SUBCASE("negative id") {
    CHECK(rejected(proto::decode_request(R"({"v":1,"id":-1,"op":"agent_status"})")).error.code == proto::ErrorCode::bad_request);
  }
  SUBCASE("wrong version keeps the id") {
    auto r = rejected(proto::decode_request(R"({"v":2,"id":8,"op":"agent_status"})"));
    CHECK(r.error.code == proto::ErrorCode::unsupported_version);
    CHECK(r.id == 8);
  }
  SUBCASE("unknown op") {
    auto r = rejected(proto::decode_request(R"({"v":1,"id":4,"op":"launch_missiles"})"));
    CHECK(r.error.code == proto::ErrorCode::unknown_op);
    CHECK(r.id == 4);
    CHECK(r.error.message.find("launch_missiles") != std::string::npos);
  }
  SUBCASE("wrong field type names the field") {
    auto r = rejected(proto::decode_request(R"({"v":1,"id":4,"op":"get_token","min_valid":"soon"})"));
    CHECK(r.error.code == proto::ErrorCode::bad_request);
    CHECK(r.error.message.find("min_valid") != std::string::npos);
  }
  SUBCASE("numbers of seconds are bounded: min_valid 1e10 overflowed the agent's clock arithmetic") {
    for (const char* body : {R"({"v":1,"id":4,"op":"get_token","min_valid":10000000000})",
                             R"({"v":1,"id":4,"op":"get_token","min_valid":-1})",
                             R"({"v":1,"id":4,"op":"profile_add","name":"p","issuer":"https://i","client_id":"c","lifetime_seconds":10000000000})",
                             R"({"v":1,"id":4,"op":"apikey_rotate","name_or_id":"k","grace_seconds":10000000000})"}) {
      CAPTURE(body);
      auto r = rejected(proto::decode_request(body));
      CHECK(r.error.code == proto::ErrorCode::bad_request);
      CHECK(r.error.message.find("seconds from 0 to 31622400") != std::string::npos);
    }
    auto year = proto::decode_request(R"({"v":1,"id":4,"op":"get_token","min_valid":31622400})");
    REQUIRE(std::holds_alternative<proto::RequestFrame>(year));
    CHECK(std::get<proto::GetToken>(std::get<proto::RequestFrame>(year).request).min_valid == 31622400);
  }
  SUBCASE("missing required field names the field") {
    auto r = rejected(proto::decode_request(R"({"v":1,"id":4,"op":"profile_remove"})"));
    CHECK(r.error.message.find("name") != std::string::npos);
  }
  SUBCASE("deep nesting is refused before parsing") {
    std::string deep = R"({"v":1,"id":1,"op":"agent_status","x":)" + std::string(10000, '[') + std::string(10000, ']') + "}";
    CHECK(rejected(proto::decode_request(deep)).error.code == proto::ErrorCode::bad_request);
  }
  SUBCASE("empty body") {
    CHECK(rejected(proto::decode_request("")).error.code == proto::ErrorCode::bad_request);
  }
}

TEST_CASE("brackets inside strings do not count as nesting") {
  std::string body = R"({"v":1,"id":1,"op":"profile_remove","name":")" + std::string(100, '[') + "\"}";
  auto decoded = proto::decode_request(body);
  REQUIRE(std::holds_alternative<proto::RequestFrame>(decoded));
}

namespace {
// Encodes a reply whose string fields are all non-empty-looking defaults, and checks that the frame's
// own `id` and `ok` survive: a reply type must never write top-level `id` or `ok` fields.
template <typename... Requests>
void check_replies_keep_frame_fields(std::variant<Requests...>*) {
  (
      [] {
        using Reply = typename Requests::Reply;
        INFO("reply of " << Requests::kOp);
        const std::string frame = proto::encode_reply(4242, Reply{});
        auto json = nlohmann::json::parse(body_of(frame));
        CHECK(json.at("id") == 4242);
        CHECK(json.at("ok") == true);
      }(),
      ...);
}
}  // namespace

TEST_CASE("codec: no reply type overwrites the frame's id or ok (nested records instead)") {
  check_replies_keep_frame_fields(static_cast<proto::Request*>(nullptr));
  // The record of apikey_info travels nested; written flat its `id` would replace the frame's.
  proto::ApiKeyReply reply;
  reply.record.id = "key_0123456789abcdef";
  auto decoded = proto::decode_reply<proto::ApiKeyReply>(body_of(proto::encode_reply(5, reply)), 5);
  REQUIRE(decoded.ok());
  CHECK(decoded->record.id == "key_0123456789abcdef");
}
