#include "agentd/store/credentials.hpp"
#include "agentd/tokens/clock.hpp"
#include "agentd/util/json_wipe.hpp"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "proto/mask.hpp"

namespace agentd::store {
namespace {

using nlohmann::json;

// Profile names are echoed in errors; a hostile file must not smuggle terminal escapes or megabytes.
constexpr std::size_t kMaxNameInMessage = 64;

// A field is an ordinary string or a secret (proto::SecureText); exactly one member pointer is set.
struct Field {
  std::string_view key;
  std::string Credentials::*member = nullptr;
  proto::SecureText Credentials::*secret = nullptr;
};

constexpr std::array kFields{
    Field{"access_token", nullptr, &Credentials::access_token},
    Field{"refresh_token", nullptr, &Credentials::refresh_token},
    Field{"expires_at", &Credentials::expires_at},       Field{"user_email", &Credentials::user_email},
    Field{"user_id", &Credentials::user_id},
    Field{"api_endpoint", &Credentials::api_endpoint},   Field{"issuer", &Credentials::issuer},
    Field{"token_endpoint", &Credentials::token_endpoint}, Field{"client_id", &Credentials::client_id},
    Field{"api_key", nullptr, &Credentials::api_key},    Field{"api_key_id", &Credentials::api_key_id},
    Field{"forget_at", &Credentials::forget_at},
};

std::string printable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, kMaxNameInMessage)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (name.size() > kMaxNameInMessage) out += "…";
  return out;
}

// The JSON type of a value, never the value itself: the file may hold secrets.
std::string_view type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

proto::Error invalid(std::string message) {
  return proto::Error{proto::ErrorCode::invalid_argument, "credentials: " + std::move(message)};
}

std::string where(const std::string* profile) {
  return profile ? "profile \"" + printable(*profile) + "\": " : std::string();
}

// Reads the known string fields of one profile object. null counts as absent; unknown keys are ignored.
proto::Result<Credentials> read_profile(const json& object, const std::string* profile) {
  if (!object.is_object()) {
    return invalid(where(profile) + "must be an object, not " + std::string(type_name(object)));
  }
  Credentials out;
  for (const auto& field : kFields) {
    auto it = object.find(field.key);
    if (it == object.end() || it->is_null()) continue;
    if (!it->is_string()) {
      return invalid(where(profile) + "\"" + std::string(field.key) + "\" must be a string, not " +
                     std::string(type_name(*it)));
    }
    const std::string& value = it->get_ref<const std::string&>();
    if (field.secret) out.*field.secret = std::string_view(value);
    else out.*field.member = value;
  }
  // The platform CLI's auth.json (and other tools) write Python's isoformat: store the one form the
  // agent compares and schedules by. A value that is no date at all stays as it was (unknown expiry).
  if (auto expires = tokens::normalize_expires_at(out.expires_at)) out.expires_at = std::move(*expires);
  return out;
}

json profile_json(const Credentials& credentials) {
  json object = json::object();
  for (const auto& field : kFields) {
    // A secret's ordinary copy in the document is wiped with it (dump's JsonWiper).
    const std::string_view value = field.secret ? (credentials.*field.secret).view() : credentials.*field.member;
    if (!value.empty()) object[std::string(field.key)] = std::string(value);
  }
  return object;
}

std::string dump(json& document, int indent) {
  util::JsonWiper wiper{document};
  // Replacing invalid UTF-8 instead of throwing: serializing must not fail on odd server data.
  return document.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace

proto::Result<CredentialsFile> parse_credentials(std::string_view text, const std::string& single_profile) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() quotes the bytes around the error, which may be part of a token: report the offset only.
    return invalid("not valid JSON (error at byte " + std::to_string(e.byte) + ")");
  } catch (const std::exception&) {
    return invalid("not valid JSON");
  }
  util::JsonWiper wiper{document};
  if (!document.is_object()) return invalid("the top level must be an object, not " + std::string(type_name(document)));

  CredentialsFile out;
  auto profiles = document.find("profiles");
  if (profiles == document.end()) {
    // Shape one: a single profile's fields at the top level.
    auto credentials = read_profile(document, nullptr);
    if (!credentials) return std::move(credentials).error();
    out.profiles.emplace(single_profile, std::move(credentials).value());
    return out;
  }

  // Shape two: {"default_profile": …, "profiles": {name: {…}}}.
  if (!profiles->is_object()) return invalid("\"profiles\" must be an object, not " + std::string(type_name(*profiles)));
  if (auto def = document.find("default_profile"); def != document.end() && !def->is_null()) {
    if (!def->is_string()) return invalid("\"default_profile\" must be a string, not " + std::string(type_name(*def)));
    out.default_profile = def->get_ref<const std::string&>();
  }
  for (const auto& [name, object] : profiles->items()) {
    if (name.empty()) return invalid("a profile name is empty");
    auto credentials = read_profile(object, &name);
    if (!credentials) return std::move(credentials).error();
    out.profiles.emplace(name, std::move(credentials).value());
  }
  return out;
}

std::string serialize_credentials(const CredentialsFile& file) {
  json document = json::object();
  if (!file.default_profile.empty()) document["default_profile"] = file.default_profile;
  json profiles = json::object();
  for (const auto& [name, credentials] : file.profiles) profiles[name] = profile_json(credentials);
  document["profiles"] = std::move(profiles);
  return dump(document, 2) + "\n";
}

std::string serialize_profile(const Credentials& credentials) {
  json document = profile_json(credentials);
  return dump(document, -1);
}

}  // namespace agentd::store
