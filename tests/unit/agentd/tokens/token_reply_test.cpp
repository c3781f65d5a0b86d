// get_token's cached reply (agentd/tokens/token_reply.hpp): the same JSON as proto::encode_reply,
// rebuilt when the entry changes, wiped by drop_replies.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agentd/tokens/token_cache.hpp"
#include "agentd/tokens/token_reply.hpp"
#include "proto/codec.hpp"
#include "proto/token_fast.hpp"

namespace {

using namespace std::chrono_literals;
using agentd::tokens::TokenCache;

agentd::store::Credentials tokens(const std::string& access, std::chrono::seconds lifetime) {
  agentd::store::Credentials c;
  c.access_token = access;
  c.refresh_token = "refresh";
  c.expires_at = agentd::tokens::format_rfc3339(std::chrono::system_clock::now() + lifetime);
  return c;
}

// The body of a frame, after checking its header.
std::string body_of(const std::string& frame) {
  REQUIRE(frame.size() > proto::kHeaderSize);
  std::array<unsigned char, proto::kHeaderSize> header{};
  std::memcpy(header.data(), frame.data(), header.size());
  auto length = proto::decode_header(header);
  REQUIRE(length.ok());
  REQUIRE(*length == frame.size() - proto::kHeaderSize);
  return frame.substr(proto::kHeaderSize);
}

// What proto::encode_reply produces for the same reply, as JSON.
nlohmann::json expected(std::uint64_t id, const std::string& profile, const agentd::tokens::Entry& entry) {
  proto::TokenReply reply;
  reply.profile = profile;
  reply.token = entry.credentials.api_key.empty() ? entry.credentials.access_token : entry.credentials.api_key;
  if (entry.credentials.api_key.empty() && entry.expires) {
    reply.expires_at = agentd::tokens::format_rfc3339(agentd::tokens::to_system_time(*entry.expires));
  }
  return nlohmann::json::parse(body_of(proto::encode_reply(id, reply)));
}

// token_reply_frame into a fresh string; nullopt when it declines.
std::optional<std::string> reply_frame(std::uint64_t id, const std::string& profile, agentd::tokens::Entry& entry) {
  std::string frame;
  if (!agentd::tokens::token_reply_frame(id, profile, entry, frame)) return std::nullopt;
  return frame;
}

}  // namespace

TEST_CASE("token reply: the cached frame carries the same JSON as encode_reply, for any id") {
  TokenCache cache;
  auto& entry = cache.put("prod", tokens("tok\"en\\with\x01quirks", 3600s));
  for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{18446744073709551615u}}) {
    auto frame = reply_frame(id, "prod", entry);
    REQUIRE(frame.has_value());
    CHECK(nlohmann::json::parse(body_of(*frame)) == expected(id, "prod", entry));
    auto decoded = proto::decode_reply<proto::TokenReply>(body_of(*frame), id);
    REQUIRE(decoded.ok());
    CHECK(decoded->token == entry.credentials.access_token);
  }
  CHECK(entry.reply_valid);
  // An API key profile: the key, no expiry.
  agentd::store::Credentials keyed;
  keyed.api_key = "flx_api_example";
  auto& key_entry = cache.put("keyed", keyed);
  auto frame = reply_frame(3, "keyed", key_entry);
  REQUIRE(frame.has_value());
  CHECK(nlohmann::json::parse(body_of(*frame)) == expected(3, "keyed", key_entry));
}

TEST_CASE("token reply: a new entry, a moved expiry or drop_replies make it encode again") {
  TokenCache cache;
  cache.put("p", tokens("first", 3600s));
  auto first = reply_frame(1, "p", *cache.find("p"));
  REQUIRE(first.has_value());
  CHECK(proto::decode_reply<proto::TokenReply>(body_of(*first), 1)->token == "first");

  cache.put("p", tokens("second", 3600s));  // a refresh or an import replaces the entry
  auto second = reply_frame(2, "p", *cache.find("p"));
  REQUIRE(second.has_value());
  CHECK(proto::decode_reply<proto::TokenReply>(body_of(*second), 2)->token == "second");

  auto& entry = *cache.find("p");
  entry.expires = *entry.expires + 3600s;  // a login sets the expiry after remember()
  auto moved = reply_frame(3, "p", entry);
  REQUIRE(moved.has_value());
  CHECK(nlohmann::json::parse(body_of(*moved)) == expected(3, "p", entry));

  cache.drop_replies();  // the agent locks
  CHECK_FALSE(entry.reply_valid);
  CHECK(entry.reply.empty());
  CHECK(entry.reply.capacity() < 16);  // back in the object: its secure pages were wiped and freed
}

TEST_CASE("token reply: strings beyond ASCII are left to the usual encoder") {
  TokenCache cache;
  auto& entry = cache.put("p", tokens("t\xc3\xa9", 3600s));
  CHECK_FALSE(reply_frame(1, "p", entry).has_value());
  CHECK_FALSE(entry.reply_valid);
}

TEST_CASE("token reply: the client reads the cached frame without a JSON parser (proto::scan_token_reply)") {
  TokenCache cache;
  auto& entry = cache.put("prod", tokens("eyJhbGciOiJSUzI1NiJ9.e30.sig-_", 3600s));
  auto frame = reply_frame(41, "prod", entry);
  REQUIRE(frame.has_value());
  const auto scanned = proto::scan_token_reply(body_of(*frame), 41);
  REQUIRE(scanned.has_value());
  CHECK(scanned->token == entry.credentials.access_token);
  CHECK(scanned->profile == "prod");
  CHECK(scanned->expires_at == agentd::tokens::format_rfc3339(agentd::tokens::to_system_time(*entry.expires)));
  agentd::store::Credentials keyed;
  keyed.api_key = "flx_api_example";
  auto key_frame = reply_frame(42, "keyed", cache.put("keyed", keyed));
  REQUIRE(key_frame.has_value());
  const auto key_reply = proto::scan_token_reply(body_of(*key_frame), 42);
  REQUIRE(key_reply.has_value());
  CHECK(key_reply->token == "flx_api_example");
  CHECK(key_reply->expires_at.empty());
}
