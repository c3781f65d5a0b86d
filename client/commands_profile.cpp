#include "client/commands_profile.hpp"

#include <limits.h>
#include <unistd.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "client/duration.hpp"

#include "client/output.hpp"
#include "client/render.hpp"

namespace client {

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> names;
    for (const auto& [key, name] : proto::EnumNames<proto::ConfigKey>::kNames) names.emplace_back(name);
    return names;
  }();
  return keys;
}

proto::ProfileAdd profile_add_request(const ProfileAddOptions& o) {
  // URLs are checked by the agent (https only), which owns the rule for every way a profile is made.
  return proto::ProfileAdd{.name = o.name,
                           .kind = o.issuer.empty() ? proto::ProfileKind::fluxloop : proto::ProfileKind::oidc,
                           .issuer = o.issuer, .client_id = o.client_id,
                           .api_endpoint = o.api_endpoint, .scopes = o.scopes,
                           .lifetime_seconds = o.lifetime.empty() ? 0 : parse_seconds(o.lifetime).value_or(0)};
}

proto::ConfigSet config_set_request(const ConfigSetOptions& o) {
  const auto key = proto::enum_from_string<proto::ConfigKey>(o.key);
  if (!key) throw std::invalid_argument("config_set_request: unknown setting " + o.key);
  return proto::ConfigSet{.key = *key, .value = o.value};
}

std::string absolute_path(const std::string& path, const std::string& cwd) {
  if (path.empty() || path.front() == '/') return path;
  return cwd + "/" + path;
}

int profile_add(App& app, const ProfileAddOptions& options) {
  auto reply = app.call(profile_add_request(options));
  if (!reply) return report(reply.error());
  note("added profile " + options.name + "; log in with `fluxloop auth login --profile " + options.name + "`");
  return proto::kExitOk;
}

int profile_list(App& app, const ProfileListOptions& options) {
  auto reply = app.call(proto::ProfileList{});
  if (!reply) return report(reply.error());
  if (options.json) {
    print_message_json(*reply);
  } else if (reply->profiles.empty()) {
    note("no profiles yet: run `fluxloop auth login` (or add one with `fluxloop profile add NAME`, or `fluxloop auth import FILE`)");
  } else {
    print_value(render_profile_list(*reply));
  }
  return proto::kExitOk;
}

int profile_remove(App& app, const ProfileRemoveOptions& options) {
  auto reply = app.call(proto::ProfileRemove{.name = options.name});
  if (!reply) return report(reply.error());
  note("removed profile " + options.name);
  return proto::kExitOk;
}

int config_set(App& app, const ConfigSetOptions& options) {
  ConfigSetOptions resolved = options;
  // A value outside the setting's choices is a usage error, caught before asking the agent.
  if (options.key == "cli_bridge" && options.value != "on" && options.value != "off") {
    return report(Failure{proto::kExitUsage, "cli_bridge is `on` or `off`, not '" + options.value + "'"});
  }
  if (options.key == "api_key_file") {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return report(Failure{proto::kExitError, "cannot tell the current directory"});
    resolved.value = absolute_path(options.value, cwd);
  }
  auto reply = app.call(config_set_request(resolved));
  if (!reply) return report(reply.error());
  if (options.key == "profile") note("default profile is now " + options.value);
  else if (options.key == "api_key_file" && resolved.value.empty()) note("api_key_file unset");
  else if (options.key == "cli_bridge") note(options.value == "on" ? "cli_bridge on: the agent keeps ~/.fluxloop/auth.json fresh for the platform CLI" : "cli_bridge off: the agent no longer keeps ~/.fluxloop/auth.json (its own copy removed)");
  else if (options.key == "api_key_file") note("api_key_file is now " + resolved.value + " (used when no --profile, FLUXLOOP_TOKEN, FLUXLOOP_API_KEY or FLUXLOOP_PROFILE is given)");
  else note(options.key + " set");
  return proto::kExitOk;
}

}  // namespace client
