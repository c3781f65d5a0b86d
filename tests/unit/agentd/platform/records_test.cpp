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
  CHECK_FALSE(record_from_json(nlohmann::json::parse(R"({"id":""})")).ok());
  CHECK_FALSE(record_from_json(nlohmann::json::parse(R"({"id":"a b"})")).ok());
  CHECK_FALSE(record_from_json(nlohmann::json::array()).ok());
}

TEST_CASE("platform records: key and id shapes") {
  CHECK(looks_like_key("flx_api_0123"));
  CHECK(looks_like_key("flx_sa_0123"));
  CHECK_FALSE(looks_like_key("flx_api_"));
  CHECK_FALSE(looks_like_key("flx_at_0123"));
  // Ids are opaque: any format, escaped into a path segment.
  CHECK(is_key_id("key_0123456789abcdef"));
  CHECK(is_key_id("6f1c2a9e-7b3d-4c5e-9f00-1a2b3c4d5e6f"));
  CHECK(is_key_id("42"));
  CHECK_FALSE(is_key_id(""));
  CHECK_FALSE(is_key_id("a b"));
  CHECK_FALSE(is_key_id(std::string(257, 'k')));
  CHECK(path_segment("6f1c2a9e-7b3d-4c5e-9f00-1a2b3c4d5e6f") == "6f1c2a9e-7b3d-4c5e-9f00-1a2b3c4d5e6f");
  CHECK(path_segment("key_a/b?c") == "key_a%2Fb%3Fc");
  CHECK(path_segment("..") == "%2E%2E");
}

TEST_CASE("platform records: the key of a create answer in each of the platform's shapes") {
  const std::string record = R"("id":"6f1c2a9e-7b3d-4c5e-9f00-1a2b3c4d5e6f","name":"ci","scope":"read-write","type":"user")";
  const std::string key = "flx_api_0123456789abcdef";
  for (const std::string& text : {"{" + record + R"(,"key":")" + key + R"("})",
                                  "{" + record + R"(,"api_key":")" + key + R"("})",
                                  R"({"api_key":{)" + record + R"(,"key":")" + key + R"("}})",
                                  R"({"api_key_data":{)" + record + R"(,"key":")" + key + R"("},"message":"ok"})"}) {
    CAPTURE(text);
    auto created = created_from_json(nlohmann::json::parse(text));
    REQUIRE(created.ok());
    CHECK(created->key == key);
    CHECK(created->record.id == "6f1c2a9e-7b3d-4c5e-9f00-1a2b3c4d5e6f");
    CHECK(created->record.name == "ci");
  }
  auto none = created_from_json(nlohmann::json::parse("{" + record + "}"));
  REQUIRE(none.ok());
  CHECK(none->key.empty());
}

TEST_CASE("platform records: a create answer never loses its key over the id's name, place or absence") {
  const std::string key = "flx_api_0123456789abcdef";
  const std::string uuid = "6f1c2a9e-7b3d-4c5e-9f00-1a2b3c4d5e6f";
  // The id under another name, or beside the nested record: found.
  for (const std::string& text : {R"({"key_id":")" + uuid + R"(","key":")" + key + R"("})",
                                  R"({"uuid":")" + uuid + R"(","api_key":")" + key + R"("})",
                                  R"({"id":")" + uuid + R"(","api_key":{"name":"ci","key":")" + key + R"("}})",
                                  R"({"api_key_data":{"api_key_id":")" + uuid + R"(","key":")" + key + R"("}})"}) {
    CAPTURE(text);
    auto created = created_from_json(nlohmann::json::parse(text));
    REQUIRE(created.ok());
    CHECK(created->key == key);
    CHECK(created->record.id == uuid);
  }
  // No id at all, or an unusable one: the key still comes back, with an empty id.
  for (const std::string& text : {R"({"api_key":{"name":"ci","key":")" + key + R"("}})",
                                  R"({"id":"a b","key":")" + key + R"("})"}) {
    CAPTURE(text);
    auto created = created_from_json(nlohmann::json::parse(text));
    REQUIRE(created.ok());
    CHECK(created->key == key);
    CHECK(created->record.id.empty());
  }
  // Neither a key nor an id: an error that says so.
  auto nothing = created_from_json(nlohmann::json::parse(R"({"message":"ok"})"));
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.error().message.find("no key and no id") != std::string::npos);
}

TEST_CASE("platform records: a list answer as an array or wrapped as api_keys, items, data, results or keys") {
  const std::string item = R"({"id":"6f1c2a9e-7b3d-4c5e-9f00-1a2b3c4d5e6f","name":"ci"})";
  CHECK(records_from_json(nlohmann::json::parse("[" + item + "]"))->size() == 1);
  for (const char* wrapper : {"api_keys", "items", "data", "results", "keys"}) {
    CAPTURE(wrapper);
    auto list = records_from_json(nlohmann::json::parse(std::string(R"({")") + wrapper + R"(":[)" + item + R"(],"total":1})"));
    REQUIRE(list.ok());
    CHECK(list->size() == 1);
  }
  CHECK_FALSE(records_from_json(nlohmann::json::parse(R"({"total":0})")).ok());
  CHECK_FALSE(records_from_json(nlohmann::json::parse(R"({"items":"none"})")).ok());
}

TEST_CASE("platform records: a listed record without a usable id is kept, id empty, beside the others") {
  auto list = records_from_json(nlohmann::json::parse(
      R"({"items":[{"id":"k1","name":"ci"},{"name":"legacy","key_prefix":"flx_api_ab","last4":"9f3e"},{"id":"","name":"blank"},{"id":"has space","name":"odd"}]})"));
  REQUIRE(list.ok());
  REQUIRE(list->size() == 4);
  CHECK((*list)[0].id == "k1");
  CHECK((*list)[1].id.empty());
  CHECK((*list)[1].name == "legacy");
  CHECK((*list)[1].prefix == "flx_api_ab");
  CHECK((*list)[2].id.empty());
  CHECK((*list)[3].id.empty());
  // Something that is not a record at all: the answer is not a key list.
  auto odd = records_from_json(nlohmann::json::parse(R"([{"id":"k1"},"flx_api_secret"])"));
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.error().message.find("flx_api_secret") == std::string::npos);
}

TEST_CASE("platform records: an integer id and the other field spellings a platform may use") {
  auto record = record_from_json(nlohmann::json::parse(
      R"({"id":42,"name":null,"scopes":"read","key_type":"service_account","key_prefix":"flx_sa_ab","last_four":"9f3e","usage_count":3.0})"));
  REQUIRE(record.ok());
  CHECK(record->id == "42");
  CHECK(record->name.empty());
  CHECK(record->scope == "read");
  CHECK(record->type == "service_account");
  CHECK(record->prefix == "flx_sa_ab");
  CHECK(record->last4 == "9f3e");
  CHECK(record->usage_count == 3);
  CHECK_FALSE(record_from_json(nlohmann::json::parse(R"({"id":1.5})")).ok());
  CHECK_FALSE(record_from_json(nlohmann::json::parse(R"({"id":true})")).ok());
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
  CHECK_FALSE(parse_revocations(R"({"pending": [{"key_id": "not an id", "profile": "p", "revoke_at": "2026-01-01T00:00:00Z"}]})").ok());
  CHECK_FALSE(parse_revocations(R"({"pending": [{"key_id": "key_1", "profile": "p", "revoke_at": "tomorrow"}]})").ok());
}
