#include "client/cli.hpp"

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "client/commands_agent.hpp"
#include "client/commands_auth.hpp"
#include "client/commands_profile.hpp"
#include "client/duration.hpp"
#include "client/output.hpp"

namespace client {
namespace {

constexpr const char* kFooter =
    "Environment: FLUXLOOP_AGENT_SOCK, FLUXLOOP_HOME, FLUXLOOP_PROFILE, FLUXLOOP_TOKEN, FLUXLOOP_API_KEY,\n"
    "FLUXLOOP_NO_AUTOSTART=1 (never start an agent). Exit codes: 0 ok, 1 error, 2 usage, 3 login required,\n"
    "4 agent unreachable, 5 permission denied, 6 network or server unavailable.";

using Action = std::function<int()>;

// Registers `body` as the action run when `command` is the one parsed.
void on_run(CLI::App* command, Action& slot, Action body) {
  command->callback([&slot, body = std::move(body)] { slot = body; });
}

void add_profile_option(CLI::App* command, std::string& target) {
  command->add_option("--profile", target, "Profile to use (default: FLUXLOOP_PROFILE, else the configured default)")
      ->option_text("P");
}

// Accepts what parse_seconds accepts; anything else is a usage error (exit 2).
CLI::Validator seconds_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return parse_seconds(value) ? std::string() : "expected seconds (300) or a duration (90s, 5m, 8h, 7d), got '" + value + "'";
      },
      "SECONDS", "seconds");
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
  for (;;) {
    auto selected = at->get_subcommands();
    if (selected.empty()) break;
    at = selected.front();
    path += " " + at->get_name();
  }
  return path;
}

}  // namespace

int run_cli(int argc, char** argv) {
  App app(Environment::from_process());
  Action action;

  CLI::App root{"fluxloop: the client of fluxloop-agentd, which holds your FluxLoop credentials", "fluxloop"};
  root.set_version_flag("--version", std::string("fluxloop ") + FLUXLOOP_VERSION, "Print the version and exit");
  root.require_subcommand(1);
  root.get_formatter()->column_width(34);

  // ---- auth ----
  CLI::App* auth = root.add_subcommand("auth", "Log in, import credentials, print tokens")->require_subcommand(1);

  AuthImportOptions import_options;
  CLI::App* import = auth->add_subcommand("import", "Import a credentials file into the agent (the agent reads it)");
  import->add_option("FILE", import_options.file, "Credentials file (either shape in docs/cli.md)")->required();
  add_profile_option(import, import_options.profile);
  on_run(import, action, [&] { return auth_import(app, import_options); });

  AuthTokenOptions token_options;
  CLI::App* token = auth->add_subcommand("token", "Print an access token (alone, newline-terminated) on stdout");
  add_profile_option(token, token_options.profile);
  token->add_option("--min-valid", token_options.min_valid, "Refresh first unless the token stays valid this long")
      ->check(seconds_validator())
      ->option_text("SECONDS");
  token->add_option("--api-key", token_options.api_key,
                    "Print this API key instead (flx_api_… or flx_sa_…); prefer FLUXLOOP_API_KEY: argv is visible in ps")
      ->option_text("KEY");
  on_run(token, action, [&] { return auth_token(app, token_options); });

  AuthStatusOptions status_options;
  CLI::App* status = auth->add_subcommand("status", "Show profiles, token state and expiry (secrets masked)");
  add_profile_option(status, status_options.profile);
  status->add_flag("--json", status_options.json, "One JSON document on stdout");
  on_run(status, action, [&] { return auth_status(app, status_options); });

  // ---- profile ----
  CLI::App* profile = root.add_subcommand("profile", "Add, list and remove profiles")->require_subcommand(1);

  ProfileAddOptions add_options;
  CLI::App* add = profile->add_subcommand("add", "Add a profile");
  add->add_option("NAME", add_options.name, "Profile name")->required();
  add->add_option("--issuer", add_options.issuer, "OAuth issuer (https URL)")->required()->option_text("URL");
  add->add_option("--client-id", add_options.client_id, "OAuth public client id")->required()->option_text("ID");
  add->add_option("--api-endpoint", add_options.api_endpoint, "FluxLoop API base URL (https)")->option_text("URL");
  add->add_option("--scope", add_options.scopes, "Scope to request; repeat for several")
      ->allow_extra_args(false)
      ->option_text("S");
  on_run(add, action, [&] { return profile_add(app, add_options); });

  ProfileListOptions list_options;
  CLI::App* list = profile->add_subcommand("list", "List profiles (* marks the default)");
  list->add_flag("--json", list_options.json, "One JSON document on stdout");
  on_run(list, action, [&] { return profile_list(app, list_options); });

  ProfileRemoveOptions remove_options;
  CLI::App* remove = profile->add_subcommand("remove", "Remove a profile and forget its credentials");
  remove->add_option("NAME", remove_options.name, "Profile name")->required();
  on_run(remove, action, [&] { return profile_remove(app, remove_options); });

  // ---- config ----
  CLI::App* config = root.add_subcommand("config", "Agent settings")->require_subcommand(1);
  ConfigSetOptions set_options;
  CLI::App* set = config->add_subcommand("set", "Set a setting: `config set profile NAME` sets the default profile");
  set->add_option("KEY", set_options.key, "Setting: profile")->required()->check(CLI::IsMember(kConfigKeys));
  set->add_option("VALUE", set_options.value, "New value")->required();
  on_run(set, action, [&] { return config_set(app, set_options); });

  // ---- agent ----
  CLI::App* agent = root.add_subcommand("agent", "The agent process")->require_subcommand(1);
  AgentStatusOptions agent_status_options;
  CLI::App* agent_status_cmd = agent->add_subcommand("status", "Show the running agent (starts one if none runs)");
  agent_status_cmd->add_flag("--json", agent_status_options.json, "One JSON document on stdout");
  on_run(agent_status_cmd, action, [&] { return agent_status(app, agent_status_options); });
  CLI::App* stop = agent->add_subcommand("stop", "Stop the running agent");
  on_run(stop, action, [&] { return agent_stop(app); });

  root.footer(kFooter);  // set last: subcommands would inherit it

  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      root.exit(e);  // --help / --version: requested output, on stdout
      return finish_output() ? kExitOk : kExitError;
    }
    std::string what = e.what();
    const CLI::App* reached = deepest(root);
    // CLI11 reports an unknown command as "A subcommand is required"; name the word instead.
    const bool has_commands = !reached->get_subcommands(std::function<bool(const CLI::App*)>()).empty();
    if (auto rest = reached->remaining(); has_commands && !rest.empty()) {
      what = "unknown command '" + rest.front() + "'";
    } else if (has_commands && reached->get_subcommands().empty()) {
      what = "missing command: choose one of";
      for (const CLI::App* sub : reached->get_subcommands(std::function<bool(const CLI::App*)>())) what += " " + sub->get_name();
    }
    note(what + "\nfluxloop: run `" + command_path(root) + " --help` for usage");
    return kExitUsage;
  }
  if (!action) {
    note("no command given; run `" + command_path(root) + " --help` for usage");
    return kExitUsage;
  }
  const int code = action();
  if (!finish_output() && code == kExitOk) return kExitError;
  return code;
}

}  // namespace client
