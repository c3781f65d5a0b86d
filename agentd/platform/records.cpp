#include "agentd/platform/records.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "proto/mask.hpp"

namespace agentd::platform {
namespace {

constexpr std::size_t kMaxKeyIdLength = 256;

std::string string_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t count_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace

proto::Result<proto::ApiKeyRecord> record_from_json(const nlohmann::json& object) {
  if (!object.is_object() || !is_key_id(string_field(object, "id"))) {
    return proto::Error{proto::ErrorCode::server_error, "the platform sent an API key record without a valid id"};
  }
  proto::ApiKeyRecord record;
  record.id = string_field(object, "id");
  record.name = string_field(object, "name");
  record.scope = string_field(object, "scope");
  record.type = string_field(object, "type");
  record.prefix = string_field(object, "prefix");
  record.last4 = string_field(object, "last4");
  record.created_at = string_field(object, "created_at");
  record.last_used_at = string_field(object, "last_used_at");  // null: never used
  record.usage_count = count_field(object, "usage_count");
  record.failed_attempts = count_field(object, "failed_attempts");
  return record;
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
  auto record = record_from_json(*holder);
  if (!record) return std::move(record).error();
  CreatedKey created;
  created.record = std::move(*record);
  created.key = string_field(*holder, "key");
  if (created.key.empty()) created.key = string_field(answer, "key");
  if (created.key.empty()) created.key = string_field(answer, "api_key");  // a string beside the record
  return created;
}

proto::Result<std::vector<proto::ApiKeyRecord>> records_from_json(const nlohmann::json& answer) {
  const nlohmann::json* list = &answer;
  if (answer.is_object()) {
    auto it = answer.find("api_keys");
    if (it == answer.end()) {
      return proto::Error{proto::ErrorCode::server_error, "cannot list API keys: the platform's answer has no api_keys"};
    }
    list = &*it;
  }
  if (!list->is_array()) {
    return proto::Error{proto::ErrorCode::server_error, "cannot list API keys: the platform's answer is not a list"};
  }
  std::vector<proto::ApiKeyRecord> out;
  for (const auto& item : *list) {
    auto record = record_from_json(item);
    if (!record) return std::move(record).error();
    out.push_back(std::move(*record));
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
