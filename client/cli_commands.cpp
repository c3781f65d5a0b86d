// The builders of every command of `fluxloop` (options, arguments, the action to run) and the table
// that lists them (client/cli_tree.hpp). Adding a command: one builder and one table row here.
#include <array>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "client/cli.hpp"
#include "client/cli_tree.hpp"
#include "client/commands_redact.hpp"
#include "client/completion.hpp"
#include "client/duration.hpp"
#include "client/output.hpp"
#include "proto/enums.hpp"

namespace client {
namespace {

// Registers `body` as the action run when `command` is the one parsed.
void on_run(CLI::App* command, Tree& t, Action body) {
  command->callback([&t, body = std::move(body)] { t.action = body; });
}

void add_profile_option(CLI::App* command, std::string& target) {
  command->add_option("--profile", target, "Profile to use (default: FLUXLOOP_PROFILE, else the configured default)")
      ->option_text("P");
}

void add_json_flag(CLI::App* command, bool& target) {
  command->add_flag("--json", target, "One JSON document on stdout");
}

// Accepts what parse_seconds accepts; anything else is a usage error (exit 2).
CLI::Validator seconds_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return parse_seconds(value) ? std::string() : "expected seconds (300) or a duration (90s, 5m, 8h, 7d), got '" + value + "'";
      },
      "SECONDS", "seconds");
}

// The wire spellings of a wire enum (proto/enums.hpp), for a CLI11 IsMember check.
template <typename E>
std::vector<std::string> spellings() {
  std::vector<std::string> out;
  for (const auto& [value, name] : proto::EnumNames<E>::kNames) out.emplace_back(name);
  return out;
}

// ---- one builder per command: adding a command is one function and one table row ----

void build_auth_import(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("import", "Import a credentials file into the agent (the agent reads it)");
  c->add_option("FILE", t.auth_import.file, "Credentials file (either shape in docs/cli.md)")->required();
  add_profile_option(c, t.auth_import.profile);
  on_run(c, t, [&t] { return auth_import(t.app, t.auth_import); });
}

void build_auth_token(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("token", "Print an access token (alone, newline-terminated) on stdout");
  add_profile_option(c, t.auth_token.profile);
  c->add_option("--min-valid", t.auth_token.min_valid, "Refresh first unless the token stays valid this long")
      ->check(seconds_validator())
      ->option_text("SECONDS");
  c->add_option("--api-key", t.auth_token.api_key,
                "Print this API key instead (flx_api_… or flx_sa_…); prefer FLUXLOOP_API_KEY: argv is visible in ps")
      ->option_text("KEY");
  on_run(c, t, [&t] { return auth_token(t.app, t.auth_token); });
}

void build_auth_status(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("status", "Show profiles, token state and expiry (secrets masked)");
  add_profile_option(c, t.auth_status.profile);
  add_json_flag(c, t.auth_status.json);
  on_run(c, t, [&t] { return auth_status(t.app, t.auth_status); });
}

void build_auth_login(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("login", "Log in: opens the authorization page in your browser ($BROWSER, else xdg-open)");
  add_profile_option(c, t.auth_login.profile);
  c->add_flag("--device", t.auth_login.device,
              "Device login: shows a URL and a code to enter on any device (default in an SSH session without a display)");
  c->add_flag("--no-browser", t.auth_login.no_browser, "Print the URL instead of opening a browser");
  c->add_flag("--no-wait", t.auth_login.no_wait,
              "Print the URL and code and return at once; the agent finishes the login (auth status: login pending)");
  on_run(c, t, [&t] { return auth_login(t.app, t.auth_login); });
}

void build_auth_refresh(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("refresh", "Refresh the access token now");
  add_profile_option(c, t.auth_refresh.profile);
  on_run(c, t, [&t] { return auth_refresh(t.app, t.auth_refresh); });
}

void build_auth_logout(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("logout", "Revoke the tokens at the server when it can, then forget them");
  add_profile_option(c, t.auth_logout.profile);
  on_run(c, t, [&t] { return auth_logout(t.app, t.auth_logout); });
}

void build_profile_add(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("add", "Add a profile");
  ProfileAddOptions& o = t.profile_add;
  c->add_option("NAME", o.name, "Profile name")->required();
  // With --issuer and --client-id an oidc profile; with neither a fluxloop profile (CLI connect).
  auto* issuer = c->add_option("--issuer", o.issuer, "OAuth issuer (https URL): an oidc profile")->option_text("URL");
  auto* client_id = c->add_option("--client-id", o.client_id, "OAuth public client id (with --issuer)")->option_text("ID");
  issuer->needs(client_id);
  client_id->needs(issuer);
  c->add_option("--api-endpoint,--api-url", o.api_endpoint, "FluxLoop API base URL (https; default https://api.fluxloop.ai)")
      ->option_text("URL");
  c->add_option("--scope", o.scopes, "Scope to request; repeat for several")->allow_extra_args(false)->option_text("S");
  c->add_option("--lifetime", o.lifetime, "Forget the profile's credentials this long after they arrive (8h, 7d)")
      ->check(seconds_validator())
      ->option_text("DURATION");
  on_run(c, t, [&t] { return profile_add(t.app, t.profile_add); });
}

void build_profile_list(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("list", "List profiles (* marks the default)");
  add_json_flag(c, t.profile_list.json);
  on_run(c, t, [&t] { return profile_list(t.app, t.profile_list); });
}

void build_profile_remove(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("remove", "Remove a profile and forget its credentials");
  c->add_option("NAME", t.profile_remove.name, "Profile name")->required();
  on_run(c, t, [&t] { return profile_remove(t.app, t.profile_remove); });
}

void build_config_set(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("set", "Set a setting: `config set profile NAME` sets the default profile, "
                                            "`config set api_key_file PATH` a 0600 file holding an API key ('' unsets), "
                                            "`config set cli_bridge on|off` the platform CLI's login file");
  c->add_option("KEY", t.config_set.key, "Setting: profile, api_key_file, cli_bridge")->required()->check(CLI::IsMember(config_keys()));
  c->add_option("VALUE", t.config_set.value, "New value")->required();
  on_run(c, t, [&t] { return config_set(t.app, t.config_set); });
}

void build_agent_status(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("status", "Show the running agent (starts one if none runs)");
  add_json_flag(c, t.agent_status.json);
  on_run(c, t, [&t] { return agent_status(t.app, t.agent_status); });
}

void build_agent_stop(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("stop", "Stop the running agent");
  on_run(c, t, [&t] { return agent_stop(t.app); });
}

void add_passphrase_fd_option(CLI::App* command, int& target) {
  command->add_option("--passphrase-fd", target, "Read the passphrase from this open file descriptor (scripts) instead of the terminal")
      ->check(CLI::NonNegativeNumber)
      ->option_text("N");
}

void build_agent_lock(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("lock", "Lock the agent with a passphrase: no token or key is served until unlocked");
  add_passphrase_fd_option(c, t.agent_lock.passphrase_fd);
  on_run(c, t, [&t] { return agent_lock(t.app, t.agent_lock); });
}

void build_agent_unlock(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("unlock", "Unlock the agent (asks for the passphrase)");
  add_passphrase_fd_option(c, t.agent_lock.passphrase_fd);
  on_run(c, t, [&t] { return agent_unlock(t.app, t.agent_lock); });
}

void build_redact(CLI::App& root, Tree& t) {
  CLI::App* c = root.add_subcommand(
      "redact", "Copy stdin to stdout with every secret the agent holds, e-mail addresses, flx_ keys, phone "
                "numbers and config.json's sanitization.patterns masked");
  on_run(c, t, [&t] { return redact(t.app); });
}

// --profile and --api-key: which credential a platform request (apikeys, api) uses.
void add_credential_options(CLI::App* command, ApiKeysCommon& o) {
  add_profile_option(command, o.profile);
  command->add_option("--api-key", o.api_key,
                      "Act with this API key instead of a profile; prefer FLUXLOOP_API_KEY: argv is visible in ps")
      ->option_text("KEY");
}

// apikeys on a fluxloop profile act on one project.
void add_key_options(CLI::App* command, ApiKeysCommon& o) {
  add_credential_options(command, o);
  command->add_option("--project-id", o.project_id,
                      "Project of the keys (fluxloop profiles; default: project_id in the workspace's .fluxloop/project.json)")
      ->option_text("ID");
}

void build_apikeys_create(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("create", "Create an API key: printed once on stdout, or kept in a new profile (--store)");
  ApiKeysCreateOptions& o = t.apikeys_create;
  c->add_option("--name", o.name, "Name of the key")->required()->option_text("N");
  c->add_option("--scope", o.scope, "read, write, read-write (default) or admin")
      ->check(CLI::IsMember(spellings<proto::KeyScope>()))
      ->option_text("SCOPE");
  c->add_option("--type", o.type, "user (default) or service-account")
      ->check(CLI::IsMember(spellings<proto::KeyType>()))
      ->option_text("TYPE");
  c->add_option("--store", o.store, "Keep the key in the agent under this new profile; print nothing secret")
      ->option_text("PROFILE");
  add_key_options(c, o.common);
  add_json_flag(c, o.common.json);
  on_run(c, t, [&t] { return apikeys_create(t.app, t.apikeys_create); });
}

void build_apikeys_list(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("list", "List active API keys (never the keys themselves)");
  add_key_options(c, t.apikeys_list);
  add_json_flag(c, t.apikeys_list.json);
  on_run(c, t, [&t] { return apikeys_list(t.app, t.apikeys_list); });
}

void add_key_argument(CLI::App* command, std::string& target, const char* name) {
  command->add_option(name, target, "Key id, key name, or the key; '-' reads it from stdin (argv is visible in ps)")->required();
}

void build_apikeys_info(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("info", "Show a key's scope, type, creation, last use and usage count");
  add_key_argument(c, t.apikeys_key.key_or_id, "KEY_OR_ID");
  add_key_options(c, t.apikeys_key.common);
  add_json_flag(c, t.apikeys_key.common.json);
  on_run(c, t, [&t] { return apikeys_info(t.app, t.apikeys_key); });
}

void build_apikeys_revoke(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("revoke", "Revoke a key now (no prompt)");
  add_key_argument(c, t.apikeys_key.key_or_id, "KEY_OR_ID");
  add_key_options(c, t.apikeys_key.common);
  add_json_flag(c, t.apikeys_key.common.json);
  on_run(c, t, [&t] { return apikeys_revoke(t.app, t.apikeys_key); });
}

void build_apikeys_rotate(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand(
      "rotate", "Replace a key with a new one (same name, scope, type), swap it into the profiles holding the old one, "
                "revoke the old one after --grace");
  ApiKeysRotateOptions& o = t.apikeys_rotate;
  c->add_option("NAME_OR_ID", o.name_or_id, "Key id, key name or the key; '-' reads it from stdin")->required();
  c->add_option("--grace", o.grace, "Keep the old key working this long (24h); default 0: revoke it now")
      ->check(seconds_validator())
      ->option_text("DURATION");
  add_key_options(c, o.common);
  add_json_flag(c, o.common.json);
  on_run(c, t, [&t] { return apikeys_rotate(t.app, t.apikeys_rotate); });
}

void build_api(CLI::App& root, Tree& t) {
  CLI::App* c = root.add_subcommand(
      "api", "Make an authenticated request to the FluxLoop API through the agent; prints the body, exits by status");
  ApiOptions& o = t.api;
  c->add_option("METHOD", o.method, "GET, HEAD, POST, PUT, PATCH or DELETE")->required();
  c->add_option("PATH", o.path, "Path under the API endpoint, e.g. /v1/me")->required();
  c->add_option("--data", o.data, "JSON request body")->option_text("JSON");
  add_credential_options(c, o.common);
  on_run(c, t, [&t] { return api(t.app, t.api); });
}

// Hidden (group ""): a packaging and set-up aid, not a command users look for in --help.
void build_completion(CLI::App& root, Tree& t) {
  CLI::App* c = root.add_subcommand("completion", "Print a shell completion script: source <(fluxloop completion bash)");
  c->group("");
  c->add_option("SHELL", t.completion_shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  on_run(c, t, [&t] {
    print_value(completion_script(command_specs(), *parse_shell(t.completion_shell)));
    return proto::kExitOk;
  });
}

constexpr std::array kAuth{Leaf{"login", build_auth_login},     Leaf{"import", build_auth_import},
                           Leaf{"token", build_auth_token},     Leaf{"status", build_auth_status},
                           Leaf{"refresh", build_auth_refresh}, Leaf{"logout", build_auth_logout}};
constexpr std::array kProfile{Leaf{"add", build_profile_add}, Leaf{"list", build_profile_list},
                              Leaf{"remove", build_profile_remove}};
constexpr std::array kConfig{Leaf{"set", build_config_set}};
constexpr std::array kAgent{Leaf{"status", build_agent_status}, Leaf{"stop", build_agent_stop},
                            Leaf{"lock", build_agent_lock}, Leaf{"unlock", build_agent_unlock}};
constexpr std::array kApiKeys{Leaf{"create", build_apikeys_create}, Leaf{"list", build_apikeys_list},
                              Leaf{"info", build_apikeys_info}, Leaf{"revoke", build_apikeys_revoke},
                              Leaf{"rotate", build_apikeys_rotate}};
constexpr std::array kTopLevel{Leaf{"redact", build_redact}, Leaf{"api", build_api},
                               Leaf{"completion", build_completion}};
constexpr std::array kGroups{
    Group{"auth", "Log in and out, import credentials, print tokens, show their state", kAuth},
    Group{"profile", "Add, list and remove profiles", kProfile},
    Group{"config", "Agent settings", kConfig},
    Group{"agent", "The agent process", kAgent},
    Group{"apikeys", "Create, list, inspect, revoke and rotate API keys", kApiKeys},
};

}  // namespace

std::span<const Group> command_groups() { return kGroups; }
std::span<const Leaf> top_level_commands() { return kTopLevel; }

}  // namespace client
