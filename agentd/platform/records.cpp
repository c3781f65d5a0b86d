#include "agentd/platform/records.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace agentd::platform {
namespace {

constexpr std::size_t kMaxKeyIdLength = 64;

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
  if (!object.is_object() || !looks_like_key_id(string_field(object, "id"))) {
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

bool looks_like_key_id(std::string_view text) noexcept {
  if (!text.starts_with("key_") || text.size() <= 4 || text.size() > kMaxKeyIdLength) return false;
  return std::all_of(text.begin() + 4, text.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
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
