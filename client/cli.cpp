#include "client/cli.hpp"

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "client/cli_tree.hpp"
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

// Builds only the part of the tree that argv can reach: `fluxloop auth token` builds the root, the
// `auth` group and the `token` command, not the other dozen. A short-lived client pays for every
// object it builds before parsing; help and error paths see whole levels, so their output is complete.
void build(CLI::App& root, Tree& t, int argc, char** argv) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  const std::string_view second = argc > 2 ? argv[2] : "";
  bool first_is_group = false;
  for (const Group& g : command_groups()) first_is_group |= g.name == first;
  bool first_is_top = false;
  for (const Leaf& leaf : top_level_commands()) first_is_top |= leaf.name == first;
  for (const Leaf& leaf : top_level_commands()) {
    if (!first_is_group && (!first_is_top || leaf.name == first)) leaf.build(root, t);
  }
  if (first_is_top) return;
  for (const Group& g : command_groups()) {
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
  for (const Leaf& leaf : top_level_commands()) {
    if (leaf.name == first) return true;
  }
  for (const Group& g : command_groups()) {
    if (g.name != first) continue;
    if (argc < 3 || argv[2][0] == '-') return true;
    const std::string_view second = argv[2];
    for (const Leaf& leaf : g.leaves) {
      if (leaf.name != second) continue;
      if (first == "config" && second == "set" && argc > 3 && argv[3][0] != '-') {
        for (const auto& key : config_keys()) {
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
  for (const Leaf& leaf : top_level_commands()) leaf.build(root, t);
  for (const Group& g : command_groups()) {
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
  // The hot command, recognised by hand (the fluxloop binary takes it before main(): client/main.cpp);
  // anything it does not recognise is parsed below.
  if (auto options = fast_auth_token(argc, argv)) return run_fast_auth_token(*options);
  App app(Environment::from_process());
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
