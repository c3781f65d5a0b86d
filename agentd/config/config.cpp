#include "agentd/config/config.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "agentd/util/atomic_file.hpp"
#include "proto/fields.hpp"

namespace agentd::config {
namespace {

constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
constexpr std::size_t kMaxProfileName = 64;

}  // namespace

std::string home_dir() {
  if (const char* home = std::getenv("FLUXLOOP_HOME"); home && *home) return home;
  std::string user_home;
  if (const char* env = std::getenv("HOME"); env && *env) user_home = env;
  if (user_home.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) user_home = pw->pw_dir;
  }
  return user_home + "/.fluxloop";
}

proto::Result<Config> load(const std::string& path) {
  // Profiles name the servers that receive refresh tokens: only a file of ours that nobody else can
  // write decides them.
  auto text = util::read_file(path, kMaxConfigBytes, util::Privacy::ours);
  if (!text) return std::move(text).error();
  Config config;
  if (!*text) return config;
  auto json = nlohmann::json::parse(**text, nullptr, false);
  auto corrupt = [&](const std::string& why) {
    return proto::Error{proto::ErrorCode::store_error,
                        "configuration " + path + " is unreadable (" + why + "); fix or remove it"};
  };
  if (json.is_discarded() || !json.is_object()) return corrupt("not a JSON object");
  proto::Reader reader(json);
  reader.optional("default_profile", config.default_profile);
  reader.optional("store", config.store);
  if (auto profiles = json.find("profiles"); profiles != json.end()) {
    if (!profiles->is_object()) return corrupt("'profiles' must be an object");
    for (const auto& [name, entry] : profiles->items()) {
      if (!entry.is_object()) return corrupt("profile '" + name + "' must be an object");
      Profile profile;
      proto::Reader p(entry, "profiles." + name);
      p.optional("issuer", profile.issuer);
      p.optional("client_id", profile.client_id);
      p.optional("api_endpoint", profile.api_endpoint);
      p.optional("scopes", profile.scopes);
      p.optional("lifetime_seconds", profile.lifetime_seconds);
      profile.kind = profile.issuer.empty() ? proto::ProfileKind::fluxloop : proto::ProfileKind::oidc;
      p.optional_enum("kind", profile.kind);
      if (!p.ok()) return corrupt(p.error()->message);
      config.profiles.emplace(name, std::move(profile));
    }
  }
  reader.optional("api_key_file", config.api_key_file);
  reader.optional("cli_bridge", config.cli_bridge);
  if (auto sanitization = json.find("sanitization"); sanitization != json.end()) {
    if (!sanitization->is_object()) return corrupt("'sanitization' must be an object");
    proto::Reader s(*sanitization, "sanitization");
    s.optional_objects("patterns", [&](proto::Reader& p) {
      SanitizationPattern pattern;
      p.required("name", pattern.name);
      p.optional("regex", pattern.regex);
      p.optional("replacement", pattern.replacement);
      config.sanitization.push_back(std::move(pattern));
    });
    if (!s.ok()) return corrupt(s.error()->message);
  }
  if (auto monitoring = json.find("monitoring"); monitoring != json.end()) {
    if (!monitoring->is_object()) return corrupt("'monitoring' must be an object");
    proto::Reader m(*monitoring, "monitoring");
    m.optional("request_rate_per_minute", config.monitoring.request_rate_per_minute);
    m.optional("rejected_peers", config.monitoring.rejected_peers);
    m.optional("refresh_failures", config.monitoring.refresh_failures);
    if (!m.ok()) return corrupt(m.error()->message);
    const auto& t = config.monitoring;
    if (t.request_rate_per_minute < 0 || t.rejected_peers < 0 || t.refresh_failures < 0) {
      return corrupt("'monitoring' thresholds must not be negative (0 turns a check off)");
    }
  }
  if (!reader.ok()) return corrupt(reader.error()->message);
  return config;
}

proto::Status save(const std::string& path, const Config& config) {
  nlohmann::json json = nlohmann::json::object();
  if (!config.default_profile.empty()) json["default_profile"] = config.default_profile;
  if (!config.store.empty()) json["store"] = config.store;
  auto& profiles = json["profiles"] = nlohmann::json::object();
  for (const auto& [name, profile] : config.profiles) {
    auto& entry = profiles[name] = nlohmann::json::object();
    entry["kind"] = std::string(proto::to_string(profile.kind));
    if (!profile.issuer.empty()) entry["issuer"] = profile.issuer;
    if (!profile.client_id.empty()) entry["client_id"] = profile.client_id;
    if (!profile.api_endpoint.empty()) entry["api_endpoint"] = profile.api_endpoint;
    if (!profile.scopes.empty()) entry["scopes"] = profile.scopes;
    if (profile.lifetime_seconds != 0) entry["lifetime_seconds"] = profile.lifetime_seconds;
  }
  if (!config.api_key_file.empty()) json["api_key_file"] = config.api_key_file;
  if (!config.cli_bridge) json["cli_bridge"] = false;  // on is the default: written only when off
  if (!config.sanitization.empty()) {
    auto& patterns = json["sanitization"]["patterns"] = nlohmann::json::array();
    for (const auto& pattern : config.sanitization) {
      auto& entry = patterns.emplace_back(nlohmann::json::object());
      entry["name"] = pattern.name;
      if (!pattern.regex.empty()) entry["regex"] = pattern.regex;
      if (!pattern.replacement.empty()) entry["replacement"] = pattern.replacement;
    }
  }
  // Only thresholds the user changed are written, so new defaults reach configs that never set them.
  const Monitoring defaults;
  const auto& m = config.monitoring;
  if (m.request_rate_per_minute != defaults.request_rate_per_minute) {
    json["monitoring"]["request_rate_per_minute"] = m.request_rate_per_minute;
  }
  if (m.rejected_peers != defaults.rejected_peers) json["monitoring"]["rejected_peers"] = m.rejected_peers;
  if (m.refresh_failures != defaults.refresh_failures) json["monitoring"]["refresh_failures"] = m.refresh_failures;
  return util::write_file_atomic(path, json.dump(2) + "\n");
}

proto::Status validate_profile_name(std::string_view name) {
  auto bad = [&] {
    return proto::Error{proto::ErrorCode::invalid_argument,
                        "invalid profile name: use 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'"};
  };
  if (name.empty() || name.size() > kMaxProfileName || name.front() == '.' || name.front() == '-') return bad();
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return bad();
  }
  return proto::Ok{};
}

proto::Status validate_https_url(std::string_view url, std::string_view what) {
  if (url.starts_with("http://")) {
    return proto::Error{proto::ErrorCode::invalid_argument,
                        std::string(what) + " must use https:// (refusing insecure http://)"};
  }
  if (!url.starts_with("https://") || url.size() <= 8) {
    return proto::Error{proto::ErrorCode::invalid_argument, std::string(what) + " must be an https:// URL"};
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      return proto::Error{proto::ErrorCode::invalid_argument, std::string(what) + " contains invalid characters"};
    }
  }
  return proto::Ok{};
}

}  // namespace agentd::config
