#include "proto/fields.hpp"

#include <nlohmann/json.hpp>

namespace proto {

Reader::Reader(const nlohmann::json& object, std::string context)
    : object_(object), context_(std::move(context)) {}

void Reader::fail(std::string_view key, std::string_view expected) {
  if (error_) return;
  std::string where = context_.empty() ? std::string(key) : context_ + "." + std::string(key);
  error_ = Error{ErrorCode::bad_request, "field '" + where + "' must be " + std::string(expected)};
}

const nlohmann::json* Reader::find(std::string_view key, bool required) {
  if (error_) return nullptr;
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) {
    if (required) fail(key, "present");
    return nullptr;
  }
  return &*it;
}

void Reader::required(std::string_view key, std::string& out) {
  const auto* value = find(key, true);
  if (!value) return;
  if (!value->is_string()) return fail(key, "a string");
  out = value->get_ref<const std::string&>();
}

void Reader::optional(std::string_view key, std::string& out) {
  const auto* value = find(key, false);
  if (!value) return;
  if (!value->is_string()) return fail(key, "a string");
  out = value->get_ref<const std::string&>();
}

void Reader::optional(std::string_view key, std::int64_t& out) {
  const auto* value = find(key, false);
  if (!value) return;
  if (value->is_number_unsigned()) {
    auto v = value->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return fail(key, "an integer in range");
    out = static_cast<std::int64_t>(v);
    return;
  }
  if (!value->is_number_integer()) return fail(key, "an integer");
  out = value->get<std::int64_t>();
}

void Reader::optional(std::string_view key, bool& out) {
  const auto* value = find(key, false);
  if (!value) return;
  if (!value->is_boolean()) return fail(key, "true or false");
  out = value->get<bool>();
}

void Reader::optional(std::string_view key, std::vector<std::string>& out) {
  const auto* value = find(key, false);
  if (!value) return;
  if (!value->is_array()) return fail(key, "an array of strings");
  std::vector<std::string> items;
  for (const auto& item : *value) {
    if (!item.is_string()) return fail(key, "an array of strings");
    items.push_back(item.get<std::string>());
  }
  out = std::move(items);
}

void Reader::optional_object(std::string_view key, const std::function<void(Reader&)>& each) {
  const auto* value = find(key, false);
  if (!value) return;
  if (!value->is_object()) return fail(key, "an object");
  Reader nested(*value, context_.empty() ? std::string(key) : context_ + "." + std::string(key));
  each(nested);
  if (!nested.ok()) error_ = nested.error();
}

void Reader::optional_objects(std::string_view key, const std::function<void(Reader&)>& each) {
  const auto* value = find(key, false);
  if (!value) return;
  if (!value->is_array()) return fail(key, "an array of objects");
  for (const auto& item : *value) {
    if (!item.is_object()) return fail(key, "an array of objects");
    Reader nested(item, context_.empty() ? std::string(key) : context_ + "." + std::string(key));
    each(nested);
    if (!nested.ok()) {
      error_ = nested.error();
      return;
    }
  }
}

}  // namespace proto
