#include "agentd/platform/records.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <initializer_list>

#include <nlohmann/json.hpp>

#include "proto/mask.hpp"

namespace agentd::platform {
namespace {

constexpr std::size_t kMaxKeyIdLength = 256;

std::string string_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The first of `names` that holds a string: the platform's field names are not fixed by any
// document we have, so a record is read under the spellings a FastAPI model plausibly uses.
std::string string_field(const nlohmann::json& object, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = string_field(object, name); !value.empty()) return value;
  }
  return {};
}

// Ids are opaque: a UUID or key_… string, or a database's integer, under the names a model may give
// it (the platform CLI itself never reads the id, so nothing pins its spelling).
std::string id_field(const nlohmann::json& object) {
  for (const char* name : {"id", "key_id", "api_key_id", "uuid"}) {
    const auto it = object.find(name);
    if (it == object.end()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return it->dump();
  }
  return {};
}

std::int64_t count_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return 0;
  if (it->is_number_float()) {
    const double value = it->get<double>();
    return value >= 0 && value < 9e18 ? static_cast<std::int64_t>(value) : 0;
  }
  return it->is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(it->get<std::uint64_t>(), INT64_MAX))
                                  : it->get<std::int64_t>();
}

// The record's fields, whatever its id (validated by the callers).
proto::ApiKeyRecord read_record(const nlohmann::json& object) {
  proto::ApiKeyRecord record;
  record.id = id_field(object);
  record.name = string_field(object, "name");
  record.scope = string_field(object, {"scope", "scopes"});
  record.type = string_field(object, {"type", "key_type"});
  record.prefix = string_field(object, {"prefix", "key_prefix"});
  record.last4 = string_field(object, {"last4", "last_four", "key_last4"});
  record.created_at = string_field(object, "created_at");
  record.last_used_at = string_field(object, "last_used_at");  // null: never used
  record.usage_count = count_field(object, "usage_count");
  record.failed_attempts = count_field(object, "failed_attempts");
  return record;
}

}  // namespace

proto::Result<proto::ApiKeyRecord> record_from_json(const nlohmann::json& object) {
  if (!object.is_object() || !is_key_id(id_field(object))) {
    return proto::Error{proto::ErrorCode::server_error, "the platform sent an API key record without a valid id"};
  }
  return read_record(object);
}

bool looks_like_key(std::string_view text) noexcept {
  return (text.starts_with("flx_api_") && text.size() > 8) || (text.starts_with("flx_sa_") && text.size() > 7);
}

bool is_key_id(std::string_view text) noexcept {
  if (text.empty() || text.size() > kMaxKeyIdLength) return false;
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

std::string path_segment(std::string_view id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  // "." and ".." would still move up a path level.
  if (out == "." || out == "..") out = out == "." ? "%2E" : "%2E%2E";
  return out;
}

CreatedKey::~CreatedKey() { proto::wipe(key); }

proto::Result<CreatedKey> created_from_json(const nlohmann::json& answer) {
  if (!answer.is_object()) {
    return proto::Error{proto::ErrorCode::server_error, "the platform's answer to creating an API key is not an object"};
  }
  // Where the record is: nested in api_key / api_key_data (objects), else the top level.
  const nlohmann::json* holder = &answer;
  for (const char* nested : {"api_key", "api_key_data"}) {
    if (auto it = answer.find(nested); it != answer.end() && it->is_object()) {
      holder = &*it;
      break;
    }
  }
  CreatedKey created;
  created.record = read_record(*holder);
  // The id may sit beside a nested record ({"id": …, "api_key": {"key": …}}).
  if (created.record.id.empty()) created.record.id = id_field(answer);
  created.key = string_field(*holder, "key");
  if (created.key.empty()) created.key = string_field(answer, "key");
  if (created.key.empty()) created.key = string_field(answer, "api_key");  // a string beside the record
  // By now the key exists at the platform: an answer that carries it but no id (or an odd one) still
  // yields the key, which is all the user cannot get back. Without an id the key is later matched by
  // prefix and last four characters (holds_key) and revoked by the id `apikeys list` shows.
  if (!is_key_id(created.record.id)) created.record.id.clear();
  if (created.key.empty() && created.record.id.empty()) {
    return proto::Error{proto::ErrorCode::server_error, "the platform's answer to creating an API key holds no key and no id"};
  }
  return created;
}

proto::Result<std::vector<proto::ApiKeyRecord>> records_from_json(const nlohmann::json& answer) {
  const nlohmann::json* list = &answer;
  if (answer.is_object()) {
    // A bare list, or one wrapped as FastAPI apps commonly do (a paginated page uses items/data).
    list = nullptr;
    for (const char* wrapper : {"api_keys", "items", "data", "results", "keys"}) {
      if (auto it = answer.find(wrapper); it != answer.end() && it->is_array()) {
        list = &*it;
        break;
      }
    }
    if (!list) {
      return proto::Error{proto::ErrorCode::server_error, "cannot list API keys: the platform's answer holds no list of keys"};
    }
  }
  if (!list->is_array()) {
    return proto::Error{proto::ErrorCode::server_error, "cannot list API keys: the platform's answer is not a list"};
  }
  std::vector<proto::ApiKeyRecord> out;
  for (const auto& item : *list) {
    if (!item.is_object()) {
      return proto::Error{proto::ErrorCode::server_error, "cannot list API keys: the platform's list holds something other than key records"};
    }
    // A record without a usable id is still listed (id empty, shown as "-"): one odd record must not
    // hide the user's other keys. It cannot be revoked by id (delete_key refuses an empty one).
    proto::ApiKeyRecord record = read_record(item);
    if (!is_key_id(record.id)) record.id.clear();
    out.push_back(std::move(record));
  }
  return out;
}

bool holds_key(const store::Credentials& credentials, const proto::ApiKeyRecord& record) noexcept {
  if (credentials.api_key.empty()) return false;
  if (!credentials.api_key_id.empty()) return credentials.api_key_id == record.id;
  if (record.prefix.empty() || record.last4.empty()) return false;
  const std::string_view key = credentials.api_key;
  return key.size() >= record.prefix.size() + record.last4.size() && key.starts_with(record.prefix) &&
         key.ends_with(record.last4);
}

}  // namespace agentd::platform
