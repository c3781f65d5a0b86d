#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "agentd/platform/records.hpp"
#include "agentd/platform/revocations.hpp"

using namespace agentd::platform;

TEST_CASE("platform records: a record from the platform's JSON, never its key") {
  const auto json = nlohmann::json::parse(R"({"id":"key_0123456789abcdef","name":"ci","scope":"read","type":"user",
      "prefix":"flx_api_1a2b","last4":"c3d4","created_at":"2026-01-01T00:00:00Z","last_used_at":null,
      "usage_count":3,"failed_attempts":1,"key":"flx_api_1a2bffffffffffffffffffffffffc3d4"})");
  const auto record = record_from_json(json);
  REQUIRE(record.ok());
  CHECK(record->id == "key_0123456789abcdef");
  CHECK(record->scope == "read");
  CHECK(record->last_used_at.empty());
  CHECK(record->usage_count == 3);
  CHECK(record->failed_attempts == 1);
  CHECK(record->profiles.empty());
  CHECK_FALSE(record_from_json(nlohmann::json::parse(R"({"name":"x"})")).ok());
  CHECK_FALSE(record_from_json(nlohmann::json::parse(R"({"id":"key_../../x"})")).ok());
  CHECK_FALSE(record_from_json(nlohmann::json::array()).ok());
}

TEST_CASE("platform records: key and id shapes") {
  CHECK(looks_like_key("flx_api_0123"));
  CHECK(looks_like_key("flx_sa_0123"));
  CHECK_FALSE(looks_like_key("flx_api_"));
  CHECK_FALSE(looks_like_key("flx_at_0123"));
  CHECK(looks_like_key_id("key_0123456789abcdef"));
  CHECK_FALSE(looks_like_key_id("key_"));
  CHECK_FALSE(looks_like_key_id("key_a/b"));
  CHECK_FALSE(looks_like_key_id("key_a?b"));
  CHECK_FALSE(looks_like_key_id("flx_api_1234"));
}

TEST_CASE("platform records: which credentials hold a key (by id, else by prefix and last4)") {
  proto::ApiKeyRecord record;
  record.id = "key_1";
  record.prefix = "flx_api_1a2b";
  record.last4 = "c3d4";
  agentd::store::Credentials by_id;
  by_id.api_key = "flx_api_ffffffffffffffffffffffffffffffff";
  by_id.api_key_id = "key_1";
  CHECK(holds_key(by_id, record));
  by_id.api_key_id = "key_2";
  CHECK_FALSE(holds_key(by_id, record));  // an id that differs wins over any shape
  agentd::store::Credentials imported;
  imported.api_key = "flx_api_1a2b0000000000000000000000000000c3d4";
  CHECK(holds_key(imported, record));
  imported.api_key = "flx_api_1a2b0000000000000000000000000000c3d5";
  CHECK_FALSE(holds_key(imported, record));
  agentd::store::Credentials oauth;
  oauth.access_token = "flx_at_1a2b";
  CHECK_FALSE(holds_key(oauth, record));
}

TEST_CASE("rotations.json: round trip, and refusal of malformed entries") {
  const std::vector<PendingRevocation> pending{{"key_0123456789abcdef", "production", "2026-01-01T00:00:00Z"},
                                               {"key_fedcba9876543210", "ci", "2026-02-01T12:30:00Z"}};
  const auto parsed = parse_revocations(serialize_revocations(pending));
  REQUIRE(parsed.ok());
  CHECK(*parsed == pending);
  CHECK(parse_revocations(R"({})")->empty());
  CHECK_FALSE(parse_revocations("not json").ok());
  CHECK_FALSE(parse_revocations(R"({"pending": {}})").ok());
  CHECK_FALSE(parse_revocations(R"({"pending": [{"key_id": "key_1", "profile": "p"}]})").ok());
  CHECK_FALSE(parse_revocations(R"({"pending": [{"key_id": "nope", "profile": "p", "revoke_at": "2026-01-01T00:00:00Z"}]})").ok());
  CHECK_FALSE(parse_revocations(R"({"pending": [{"key_id": "key_1", "profile": "p", "revoke_at": "tomorrow"}]})").ok());
}
