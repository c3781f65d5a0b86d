#include "client/commands_auth.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>

#include "client/duration.hpp"
#include "client/output.hpp"
#include "client/render.hpp"

namespace client {
namespace {

bool needs_login(proto::ProfileState state) {
  return state == proto::ProfileState::login_required || state == proto::ProfileState::no_credentials;
}

}  // namespace

proto::AuthImport import_request(std::string absolute_path, const std::string& profile_flag, const Environment& env) {
  return proto::AuthImport{.path = std::move(absolute_path), .profile = choose_profile(profile_flag, env.profile)};
}

proto::GetToken token_request(const Credential& credential, std::int64_t min_valid) {
  // For agent sources `value` is the profile name; agent_default sends "" so the agent applies its
  // configured default, then `production`.
  return proto::GetToken{.profile = credential.from_agent() ? credential.value : std::string(), .min_valid = min_valid};
}

proto::AuthStatus status_request(const std::string& profile_flag, const Environment& env) {
  return proto::AuthStatus{.profile = choose_profile(profile_flag, env.profile)};
}

CredentialInputs credential_inputs(const AuthTokenOptions& options, const Environment& env) {
  return CredentialInputs{.api_key_flag = options.api_key,
                          .profile_flag = options.profile,
                          .env_token = env.token,
                          .env_api_key = env.api_key,
                          .env_profile = env.profile};
}

int auth_import(App& app, const AuthImportOptions& options) {
  // Made absolute here, where the user's working directory is known (the agent runs elsewhere), but
  // not resolved: the agent refuses a symbolic link itself rather than follow one (docs/security.md).
  std::string absolute = options.file;
  if (absolute.empty() || absolute.front() != '/') {
    std::unique_ptr<char, decltype(&::free)> cwd(::getcwd(nullptr, 0), &::free);
    if (!cwd) return report(Failure{proto::kExitError, "cannot import " + options.file + ": " + std::strerror(errno)});
    absolute = std::string(cwd.get()) + "/" + options.file;
  }
  struct stat st {};
  if (::lstat(absolute.c_str(), &st) != 0) {
    return report(Failure{proto::kExitError, "cannot import " + options.file + ": " + std::strerror(errno) +
                                          " (give the path of a credentials file; see docs/cli.md for its format)"});
  }
  auto reply = app.call(import_request(absolute, options.profile, app.env()));
  if (!reply) return report(reply.error());
  if (reply->profiles.empty()) {
    note("nothing imported from " + options.file);
  } else {
    note("imported " + std::string(reply->profiles.size() == 1 ? "profile " : "profiles ") + joined(reply->profiles));
  }
  return proto::kExitOk;
}

int auth_token(App& app, const AuthTokenOptions& options) {
  auto credential = choose_credential(credential_inputs(options, app.env()));
  if (!credential) return report(credential.error());
  if (!credential->from_agent()) {
    // FLUXLOOP_TOKEN, FLUXLOOP_API_KEY or --api-key: printed as given, no agent needed (CI).
    print_value(credential->value);
    return proto::kExitOk;
  }
  const std::int64_t min_valid = parse_seconds(options.min_valid).value_or(0);
  auto reply = app.call(token_request(*credential, min_valid));
  if (!reply) return report(reply.error());
  print_value(reply->token);
  return proto::kExitOk;
}

int auth_status(App& app, const AuthStatusOptions& options) {
  const proto::AuthStatus request = status_request(options.profile, app.env());
  auto reply = app.call(request);
  if (!reply) return report(reply.error());
  if (options.json) {
    print_message_json(*reply);
  } else {
    print_value(render_auth_status(*reply));
    if (reply->profiles.empty() && reply->store_problem.empty()) {
      note("no profiles yet: run `fluxloop auth login` (or import credentials with `fluxloop auth import FILE`)");
    }
  }
  // Asked about one profile that cannot produce a token: say so in the exit code too, so scripts
  // can run `fluxloop auth status --profile P || fluxloop auth login --profile P`.
  if (!request.profile.empty() && reply->profiles.size() == 1 && needs_login(reply->profiles.front().state)) {
    if (!options.json) note("profile " + request.profile + " needs a login: run `fluxloop auth login --profile " + request.profile + "`");
    return proto::kExitLoginRequired;
  }
  return proto::kExitOk;
}

}  // namespace client
