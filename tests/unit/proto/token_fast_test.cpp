// get_token's hand-written request encoder and reply scanner (proto/token_fast.hpp) against the
// nlohmann codec: the same bytes out, the same reply or error in, for every input below, and the
// agent's two reply encodings take the scanner (else the client's hot path quietly slows down).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/codec.hpp"
#include "proto/token_fast.hpp"

namespace {

std::string body_of(const std::string& frame) { return frame.substr(proto::kHeaderSize); }

// decode_token_reply and decode_reply agree on `body`: the same reply, or the same error.
void same_decoding(std::string_view body, std::uint64_t id) {
  const auto fast = proto::decode_token_reply(body, id);
  const auto full = proto::decode_reply<proto::TokenReply>(body, id);
  REQUIRE_MESSAGE(fast.ok() == full.ok(), body);
  if (fast.ok()) {
    CHECK_MESSAGE(*fast == *full, body);
  } else {
    CHECK_MESSAGE(fast.error().code == full.error().code, body);
    CHECK_MESSAGE(fast.error().message == full.error().message, body);
  }
}

// The agent's cached form of the same reply: the id moved to the front (agentd/tokens/token_reply.hpp).
std::string id_first(const std::string& sorted_body, std::uint64_t id) {
  const std::string member = "\"id\":" + std::to_string(id) + ",";
  std::string body = sorted_body;
  const auto at = body.find(member);
  REQUIRE(at != std::string::npos);
  body.erase(at, member.size());
  return "{" + member + body.substr(1);
}

const std::vector<std::string> kProfiles = {"", "default", "my prod-1", "~!@#$%^&*()_+{}|:<>?`", "quo\"te",
                                            "back\\slash", "tab\there", "ünïcode", std::string("nul\0in", 6),
                                            "\x7f", std::string(300, 'p')};

}  // namespace

TEST_CASE("token fast: encode_get_token writes exactly what encode_request writes") {
  for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{10}, std::uint64_t{18446744073709551615u}}) {
    for (std::int64_t min_valid : {std::int64_t{0}, std::int64_t{1}, std::int64_t{330}, std::int64_t{-1},
                                   std::int64_t{9223372036854775807}}) {
      for (const auto& profile : kProfiles) {
        const proto::GetToken request{.profile = profile, .min_valid = min_valid};
        CHECK_MESSAGE(proto::encode_get_token(id, request) == proto::encode_request(id, request),
                      "id ", id, " min_valid ", min_valid, " profile ", profile);
      }
    }
  }
}

TEST_CASE("token fast: the agent's replies, in both its encodings, are scanned and read as decode_reply reads them") {
  for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{18446744073709551615u}}) {
    for (const std::string expires : {"", "2099-01-01T00:00:00Z"}) {
      const proto::TokenReply reply{.profile = "prod", .token = "eyJhbGciOi.J9-_x.y", .expires_at = expires};
      const std::string sorted = body_of(proto::encode_reply(id, reply));
      for (const std::string& body : {sorted, id_first(sorted, id)}) {
        const auto scanned = proto::scan_token_reply(body, id);
        REQUIRE_MESSAGE(scanned.has_value(), body);
        CHECK(*scanned == reply);
        same_decoding(body, id);
      }
    }
  }
}

TEST_CASE("token fast: strings that need escapes, and error replies, are read by the full decoder") {
  for (const auto& text : kProfiles) {
    const proto::TokenReply reply{.profile = text, .token = "t" + text, .expires_at = text};
    const std::string body = body_of(proto::encode_reply(3, reply));
    const bool plain = text.find_first_of("\"\\\t") == std::string::npos && text.find('\0') == std::string::npos &&
                       text != "\x7f" && text != "ünïcode";
    CHECK_MESSAGE(proto::scan_token_reply(body, 3).has_value() == plain, body);
    same_decoding(body, 3);
  }
  same_decoding(body_of(proto::encode_error(3, proto::Error{proto::ErrorCode::login_required, "log in"})), 3);
  same_decoding(body_of(proto::encode_error(0, proto::Error{proto::ErrorCode::busy, "too many"})), 3);
}

TEST_CASE("token fast: every one-byte change of a reply is read as decode_reply reads it") {
  const proto::TokenReply reply{.profile = "prod", .token = "abc", .expires_at = "2099-01-01T00:00:00Z"};
  const std::string sorted = body_of(proto::encode_reply(12, reply));
  const std::string replacements = std::string("\"\\{},:0129x \x01\x80\0", 15);
  for (const std::string& base : {sorted, id_first(sorted, 12)}) {
    for (std::size_t i = 0; i < base.size(); ++i) {
      std::string removed = base;
      removed.erase(i, 1);
      same_decoding(removed, 12);
      for (const char c : replacements) {
        std::string changed = base;
        changed[i] = c;
        same_decoding(changed, 12);
      }
    }
    same_decoding(base, 13);                // another request's reply
    same_decoding(base + " ", 12);          // trailing bytes
    same_decoding(base.substr(0, 1), 12);   // cut short
  }
}
