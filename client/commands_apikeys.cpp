#include "client/commands_apikeys.hpp"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "client/duration.hpp"
#include "client/output.hpp"
#include "client/precedence.hpp"
#include "client/project.hpp"
#include "client/render.hpp"

namespace client {
namespace {

constexpr std::size_t kMaxStdinKey = 4096;

// "flx_api_1a2b…c3d4": what identifies a key to a person without revealing it.
std::string key_hint(const proto::ApiKeyRecord& r) {
  if (r.prefix.empty() && r.last4.empty()) return "-";
  return r.prefix + "…" + r.last4;
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

void warn_holders(const proto::ApiKeyRecord& record) {
  if (record.profiles.empty()) return;
  note("profile(s) " + joined(record.profiles) + " still hold the revoked key, so their requests will be refused: "
       "store a new key with `fluxloop apikeys create --name N --store PROFILE` or run `fluxloop auth logout --profile " +
       record.profiles.front() + "`");
}

}  // namespace

Outcome<proto::Target> apikeys_target(const ApiKeysCommon& common, const Environment& env) {
  CredentialInputs inputs{.api_key_flag = common.api_key,
                          .profile_flag = common.profile,
                          .env_token = env.token,
                          .env_api_key = env.api_key,
                          .env_profile = env.profile};
  return choose_target(inputs, env.api_endpoint);
}

namespace {

// apikeys_target plus the project (fluxloop profiles' keys are per project; the agent says when
// one is needed and missing).
Outcome<proto::Target> keys_target(const ApiKeysCommon& common, const Environment& env) {
  auto target = apikeys_target(common, env);
  if (!target) return target;
  // Both resolved, as the platform CLI compares them (Path.cwd().resolve(), Path.home().resolve()).
  char cwd[PATH_MAX];
  char home[PATH_MAX];
  const char* home_variable = std::getenv("HOME");
  const std::string home_dir = home_variable && ::realpath(home_variable, home) ? home : "";
  auto project = project_id_of(common.project_id, ::getcwd(cwd, sizeof cwd) ? std::string(cwd) : std::string(), home_dir);
  if (!project) return std::move(project).error();
  target->project_id = std::move(*project);
  return target;
}

}  // namespace

Outcome<std::string> key_argument(const std::string& argument) {
  if (argument != "-") return argument;
  std::string line;
  for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar()) {
    if (line.size() >= kMaxStdinKey) return Failure{proto::kExitUsage, "the key read from stdin is too long"};
    line += static_cast<char>(c);
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.erase(0, 1);
  if (line.empty()) return Failure{proto::kExitUsage, "'-' reads the key or id from stdin, but stdin held none"};
  return line;
}

std::string render_api_keys(const std::vector<proto::ApiKeyRecord>& keys) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"ID", "NAME", "SCOPE", "TYPE", "KEY", "CREATED", "LAST USED", "USES", "FAILED", "PROFILES"});
  for (const auto& k : keys) {
    rows.push_back({or_dash(k.id), or_dash(k.name), or_dash(k.scope), or_dash(k.type), key_hint(k), or_dash(k.created_at),
                    k.last_used_at.empty() ? "never" : k.last_used_at, std::to_string(k.usage_count),
                    std::to_string(k.failed_attempts), k.profiles.empty() ? "-" : joined(k.profiles)});
  }
  return render_table(rows);
}

std::string render_api_key(const proto::ApiKeyRecord& r) {
  std::vector<std::vector<std::string>> rows = {
      {"id", or_dash(r.id)},
      {"name", or_dash(r.name)},
      {"scope", or_dash(r.scope)},
      {"type", or_dash(r.type)},
      {"key", key_hint(r)},
      {"created", or_dash(r.created_at)},
      {"last used", r.last_used_at.empty() ? "never" : r.last_used_at},
      {"usage count", std::to_string(r.usage_count)},
      {"failed attempts", std::to_string(r.failed_attempts)},
  };
  if (!r.profiles.empty()) rows.push_back({"profiles", joined(r.profiles)});
  return render_table(rows);
}

int apikeys_create(App& app, const ApiKeysCreateOptions& options) {
  auto target = keys_target(options.common, app.env());
  if (!target) return report(target.error());
  proto::ApiKeyCreate request{.target = std::move(*target),
                              .name = options.name,
                              // Checked by the parser (CLI11 IsMember over the same table): "" means none.
                              .scope = proto::enum_from_string<proto::KeyScope>(options.scope),
                              .type = proto::enum_from_string<proto::KeyType>(options.type),
                              .store_profile = options.store};
  auto reply = app.call(request);
  if (!reply) return report(reply.error());
  if (options.common.json) {
    print_message_json(*reply);
  } else if (!reply->key.empty()) {
    print_value(reply->key);  // the one value: alone on stdout
  }
  const auto& r = reply->record;
  // The platform may send a key without its id (the agent keeps the key all the same).
  const std::string id = r.id.empty() ? "(the platform sent no id)" : r.id;
  if (!reply->stored_profile.empty()) {
    note("created API key " + id + " (" + r.scope + ", " + r.type + ") and stored it in profile " + reply->stored_profile +
         ": use it with --profile " + reply->stored_profile);
  } else {
    note("created API key " + id + " (" + r.scope + ", " + r.type +
         "). This key will not be shown again: store it now (a secret manager, or `--store PROFILE` next time)");
  }
  return proto::kExitOk;
}

int apikeys_list(App& app, const ApiKeysCommon& options) {
  auto target = keys_target(options, app.env());
  if (!target) return report(target.error());
  auto reply = app.call(proto::ApiKeyList{.target = std::move(*target)});
  if (!reply) return report(reply.error());
  if (options.json) {
    print_message_json(*reply);
  } else if (reply->keys.empty()) {
    note("no active API keys; create one with `fluxloop apikeys create --name N`");
  } else {
    print_value(render_api_keys(reply->keys));
  }
  return proto::kExitOk;
}

int apikeys_info(App& app, const ApiKeysKeyOptions& options) {
  auto key = key_argument(options.key_or_id);
  if (!key) return report(key.error());
  auto target = keys_target(options.common, app.env());
  if (!target) return report(target.error());
  auto reply = app.call(proto::ApiKeyInfo{.target = std::move(*target), .key_or_id = std::move(*key)});
  if (!reply) return report(reply.error());
  if (options.common.json) print_message_json(reply->record);
  else print_value(render_api_key(reply->record));
  return proto::kExitOk;
}

int apikeys_revoke(App& app, const ApiKeysKeyOptions& options) {
  // No prompt (CONTRACT.md): a leaked key must die fast.
  auto key = key_argument(options.key_or_id);
  if (!key) return report(key.error());
  auto target = keys_target(options.common, app.env());
  if (!target) return report(target.error());
  auto reply = app.call(proto::ApiKeyRevoke{.target = std::move(*target), .key_or_id = std::move(*key)});
  if (!reply) return report(reply.error());
  const proto::ApiKeyRecord& record = reply->record;
  if (options.common.json) print_message_json(record);
  note("revoked API key " + record.id + (record.name.empty() ? "" : " (" + record.name + ")"));
  warn_holders(record);
  return proto::kExitOk;
}

int apikeys_rotate(App& app, const ApiKeysRotateOptions& options) {
  auto name = key_argument(options.name_or_id);
  if (!name) return report(name.error());
  auto target = keys_target(options.common, app.env());
  if (!target) return report(target.error());
  proto::ApiKeyRotate request{.target = std::move(*target),
                              .name_or_id = std::move(*name),
                              .grace_seconds = parse_seconds(options.grace).value_or(0)};
  auto reply = app.call(request);
  if (!reply) return report(reply.error());
  if (options.common.json) print_message_json(*reply);
  else if (!reply->key.empty()) print_value(reply->key);
  std::string message = "rotated API key " + reply->old_id + " -> " + reply->record.id;
  if (!reply->profiles.empty()) message += "; profile(s) " + joined(reply->profiles) + " now hold the replacement";
  message += reply->revoke_at.empty() ? "; the old key is revoked" : "; the old key is revoked at " + reply->revoke_at;
  note(message);
  if (!reply->key.empty()) note("no profile held the old key, so the replacement is printed: it will not be shown again");
  return proto::kExitOk;
}

}  // namespace client
