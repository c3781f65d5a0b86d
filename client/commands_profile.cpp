#include "client/commands_profile.hpp"

#include <nlohmann/json.hpp>

#include "client/output.hpp"
#include "client/render.hpp"

namespace client {

proto::ProfileAdd profile_add_request(const ProfileAddOptions& o) {
  // URLs are checked by the agent (https only), which owns the rule for every way a profile is made.
  return proto::ProfileAdd{.name = o.name, .issuer = o.issuer, .client_id = o.client_id,
                           .api_endpoint = o.api_endpoint, .scopes = o.scopes};
}

proto::ConfigSet config_set_request(const ConfigSetOptions& o) {
  return proto::ConfigSet{.key = o.key, .value = o.value};
}

int profile_add(App& app, const ProfileAddOptions& options) {
  auto reply = app.call(profile_add_request(options));
  if (!reply) return report(reply.failure());
  note("added profile " + options.name + "; log in with `fluxloop auth login --profile " + options.name + "`");
  return kExitOk;
}

int profile_list(App& app, const ProfileListOptions& options) {
  auto reply = app.call(proto::ProfileList{});
  if (!reply) return report(reply.failure());
  if (options.json) {
    print_message_json(*reply);
  } else if (reply->profiles.empty()) {
    note("no profiles yet: add one with `fluxloop profile add NAME --issuer URL --client-id ID` or `fluxloop auth import FILE`");
  } else {
    print_value(render_profile_list(*reply));
  }
  return kExitOk;
}

int profile_remove(App& app, const ProfileRemoveOptions& options) {
  auto reply = app.call(proto::ProfileRemove{.name = options.name});
  if (!reply) return report(reply.failure());
  note("removed profile " + options.name);
  return kExitOk;
}

int config_set(App& app, const ConfigSetOptions& options) {
  auto reply = app.call(config_set_request(options));
  if (!reply) return report(reply.failure());
  if (options.key == "profile") note("default profile is now " + options.value);
  else note(options.key + " set");
  return kExitOk;
}

}  // namespace client
