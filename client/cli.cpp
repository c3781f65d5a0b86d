#include "client/cli.hpp"

#include <array>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "client/commands_agent.hpp"
#include "client/commands_api.hpp"
#include "client/commands_apikeys.hpp"
#include "client/commands_auth.hpp"
#include "client/commands_lock.hpp"
#include "client/commands_login.hpp"
#include "client/commands_profile.hpp"
#include "client/commands_redact.hpp"
#include "client/completion.hpp"
#include "client/duration.hpp"
#include "client/fast_path.hpp"
#include "client/first_run.hpp"
#include "client/output.hpp"
#include "client/passthrough.hpp"

namespace client {
namespace {

constexpr const char* kFooter =
    "Environment: FLUXLOOP_AGENT_SOCK, FLUXLOOP_HOME, FLUXLOOP_PROFILE, FLUXLOOP_TOKEN, FLUXLOOP_API_KEY\n"
    "(alias FLUXLOOP_SYNC_API_KEY), FLUXLOOP_API_ENDPOINT (aliases FLUXLOOP_API_URL, FLUXLOOP_SYNC_URL), "
    "FLUXLOOP_NO_AUTOSTART=1 (never start an agent). Exit codes: 0 ok, 1 error, 2 usage, 3 login required,\n"
    "4 agent unreachable, 5 permission denied, 6 network or server unavailable.";

constexpr const char* kRootDescription = "fluxloop: the client of fluxloop-agentd, which holds your FluxLoop credentials";

using Action = std::function<int()>;

// Everything a parse fills in: the App, the chosen action, and each command's options.
struct Tree {
  explicit Tree(App& a) : app(a) {}
  App& app;
  Action action;
  AuthImportOptions auth_import;
  AuthTokenOptions auth_token;
  AuthStatusOptions auth_status;
  AuthLoginOptions auth_login;
  AuthRefreshOptions auth_refresh;
  AuthLogoutOptions auth_logout;
  ProfileAddOptions profile_add;
  ProfileListOptions profile_list;
  ProfileRemoveOptions profile_remove;
  ConfigSetOptions config_set;
  AgentStatusOptions agent_status;
  AgentLockOptions agent_lock;
  ApiKeysCreateOptions apikeys_create;
  ApiKeysCommon apikeys_list;
  ApiKeysKeyOptions apikeys_key;  // info, revoke
  ApiKeysRotateOptions apikeys_rotate;
  ApiOptions api;
  std::string completion_shell;
};

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
  c->add_option("KEY", t.config_set.key, "Setting: profile, api_key_file, cli_bridge")->required()->check(CLI::IsMember(kConfigKeys));
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
                      "Project of the keys (fluxloop profiles; default: project_id in ./.fluxloop/project.json)")
      ->option_text("ID");
}

void build_apikeys_create(CLI::App& group, Tree& t) {
  CLI::App* c = group.add_subcommand("create", "Create an API key: printed once on stdout, or kept in a new profile (--store)");
  ApiKeysCreateOptions& o = t.apikeys_create;
  c->add_option("--name", o.name, "Name of the key")->required()->option_text("N");
  c->add_option("--scope", o.scope, "read, write, read-write (default) or admin")
      ->check(CLI::IsMember({"read", "write", "read-write", "admin"}))
      ->option_text("SCOPE");
  c->add_option("--type", o.type, "user (default) or service-account")
      ->check(CLI::IsMember({"user", "service-account"}))
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

struct Leaf {
  std::string_view name;
  void (*build)(CLI::App& group, Tree& t);
};
struct Group {
  std::string_view name;
  std::string_view description;
  std::span<const Leaf> leaves;
};

constexpr std::array kAuth{Leaf{"login", build_auth_login},     Leaf{"import", build_auth_import},
                           Leaf{"token", build_auth_token},     Leaf{"status", build_auth_status},
                           Leaf{"refresh", build_auth_refresh}, Leaf{"logout", build_auth_logout}};
constexpr std::array kProfile{Leaf{"add", build_profile_add}, Leaf{"list", build_profile_list},
                              Leaf{"remove", build_profile_remove}};
constexpr std::array kConfig{Leaf{"set", build_config_set}};
constexpr std::array kAgent{Leaf{"status", build_agent_status}, Leaf{"stop", build_agent_stop},
                            Leaf{"lock", build_agent_lock}, Leaf{"unlock", build_agent_unlock}};
// Commands outside any group (`fluxloop redact`), built beside the groups.
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

// Builds only the part of the tree that argv can reach: `fluxloop auth token` builds the root, the
// `auth` group and the `token` command, not the other dozen. A short-lived client pays for every
// object it builds before parsing; help and error paths see whole levels, so their output is complete.
void build(CLI::App& root, Tree& t, int argc, char** argv) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  const std::string_view second = argc > 2 ? argv[2] : "";
  bool first_is_group = false;
  for (const Group& g : kGroups) first_is_group |= g.name == first;
  bool first_is_top = false;
  for (const Leaf& leaf : kTopLevel) first_is_top |= leaf.name == first;
  for (const Leaf& leaf : kTopLevel) {
    if (!first_is_group && (!first_is_top || leaf.name == first)) leaf.build(root, t);
  }
  if (first_is_top) return;
  for (const Group& g : kGroups) {
    if (first_is_group && g.name != first) continue;
    CLI::App* group = root.add_subcommand(std::string(g.name), std::string(g.description))->require_subcommand(1);
    if (!first_is_group) continue;  // root help and errors list groups only
    bool second_is_leaf = false;
    for (const Leaf& leaf : g.leaves) second_is_leaf |= leaf.name == second;
    for (const Leaf& leaf : g.leaves) {
      if (!second_is_leaf || leaf.name == second) leaf.build(*group, t);
    }
  }
}

}  // namespace

// False when argv names a command this client does not implement, which the platform CLI then runs:
// an unknown first word, an unknown word after one of our groups (`config show`), or a `config set`
// of a key that is not ours (the platform CLI's `config set` edits its project settings). Options,
// help and a group alone stay ours, so their usage errors stay ours too.
bool implemented(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return true;
  const std::string_view first = argv[1];
  for (const Leaf& leaf : kTopLevel) {
    if (leaf.name == first) return true;
  }
  for (const Group& g : kGroups) {
    if (g.name != first) continue;
    if (argc < 3 || argv[2][0] == '-') return true;
    const std::string_view second = argv[2];
    for (const Leaf& leaf : g.leaves) {
      if (leaf.name != second) continue;
      if (first == "config" && second == "set" && argc > 3 && argv[3][0] != '-') {
        for (const auto& key : kConfigKeys) {
          if (key == argv[3]) return true;
        }
        return false;
      }
      return true;
    }
    return false;
  }
  return false;
}

namespace {

// The whole tree, every level: what completion scripts and the man page drift test walk.
void build_all(CLI::App& root, Tree& t) {
  for (const Leaf& leaf : kTopLevel) leaf.build(root, t);
  for (const Group& g : kGroups) {
    CLI::App* group = root.add_subcommand(std::string(g.name), std::string(g.description))->require_subcommand(1);
    for (const Leaf& leaf : g.leaves) leaf.build(*group, t);
  }
}

void configure_root(CLI::App& root) {
  root.set_version_flag("--version", std::string("fluxloop ") + FLUXLOOP_VERSION, "Print the version and exit");
  root.require_subcommand(1);
  root.get_formatter()->column_width(34);
}

// The deepest command the user reached.
const CLI::App* deepest(const CLI::App& root) {
  const CLI::App* at = &root;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().front();
  return at;
}

// "fluxloop auth token": the deepest command the user reached, for the usage hint.
std::string command_path(const CLI::App& root) {
  std::string path = root.get_name();
  const CLI::App* at = &root;
  while (!at->get_subcommands().empty()) {
    at = at->get_subcommands().front();
    path += " " + at->get_name();
  }
  return path;
}

// CLI11's message, reworded where it is unhelpful.
std::string usage_message(const CLI::ParseError& e, const CLI::App& root) {
  const CLI::App* reached = deepest(root);
  const auto all = reached->get_subcommands(std::function<bool(const CLI::App*)>());
  if (all.empty()) return e.what();
  // CLI11 reports an unknown command as "A subcommand is required"; name the word instead.
  if (auto rest = reached->remaining(); !rest.empty()) return "unknown command '" + rest.front() + "'";
  std::string what = "missing command: choose one of";
  for (const CLI::App* sub : all) what += " " + sub->get_name();
  return what;
}

}  // namespace

std::vector<CommandSpec> command_specs() {
  App app(Environment::from_process());
  Tree tree(app);
  CLI::App root{kRootDescription, "fluxloop"};
  configure_root(root);
  build_all(root, tree);
  return describe_commands(root);
}

int run_cli(int argc, char** argv) {
  App app(Environment::from_process());
  // The hot command, recognised by hand; anything it does not recognise is parsed below.
  if (auto options = fast_auth_token(argc, argv)) {
    const int code = auth_token(app, *options);
    if (!finish_output() && code == proto::kExitOk) return proto::kExitError;
    return code;
  }
  if (!implemented(argc, argv)) return pass_through(app, argc, argv);
  Tree tree(app);

  CLI::App root{kRootDescription, "fluxloop"};
  configure_root(root);
  build(root, tree, argc, argv);
  root.footer(kFooter);  // set last: subcommands would inherit it

  try {
    root.parse(argc, argv);
    scrub_secret_arguments(argc, argv);  // at once: a waiting client must not show its key in ps
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      root.exit(e);  // --help / --version: requested output, on stdout
      return finish_output() ? proto::kExitOk : proto::kExitError;
    }
    // Bare `fluxloop` on a fresh machine: the one command to run next, rather than a list of groups.
    if (const std::string hint = argc == 1 ? first_run_hint(app) : ""; !hint.empty()) {
      note(hint);
      return proto::kExitUsage;
    }
    note(usage_message(e, root) + "\nfluxloop: run `" + command_path(root) + " --help` for usage");
    return proto::kExitUsage;
  }
  if (!tree.action) {
    note("no command given; run `" + command_path(root) + " --help` for usage");
    return proto::kExitUsage;
  }
  const int code = tree.action();
  if (!finish_output() && code == proto::kExitOk) return proto::kExitError;
  return code;
}

std::optional<AuthTokenOptions> parse_auth_token(int argc, char** argv) {
  App app(Environment::from_process());
  Tree tree(app);
  CLI::App root{kRootDescription, "fluxloop"};
  configure_root(root);
  build(root, tree, argc, argv);
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError&) {
    return std::nullopt;
  }
  if (!tree.action || command_path(root) != "fluxloop auth token") return std::nullopt;
  return tree.auth_token;
}

}  // namespace client
