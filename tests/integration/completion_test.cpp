// `fluxloop completion bash|zsh|fish`: the scripts, sourced by the real shells, complete commands,
// options, choices and the profile names a real agent holds.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/client_common.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using clienttest::AgentFixture;

namespace {

const char* kBash = "/bin/bash";
const char* kZsh = "/usr/bin/zsh";
const char* kFish = "/usr/bin/fish";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// The fixture's environment, with the client on PATH as `fluxloop` (the scripts run the command
// being completed to list profiles).
testsupport::Env shell_env(const AgentFixture& f) {
  testsupport::Env env = f.env();
  env["PATH"] = fs::path(testsupport::kClient).parent_path().string() + ":/usr/bin:/bin";
  env["HOME"] = f.dir();
  return env;
}

// What bash offers for the words typed so far (the last one being completed).
std::vector<std::string> bash_complete(const AgentFixture& f, const std::string& words) {
  const std::string script =
      "source <(fluxloop completion bash) || exit 9\n"
      "COMP_WORDS=(" + words + ")\n"
      "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
      "COMPREPLY=()\n"
      "_fluxloop\n"
      "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
  auto r = testsupport::run({kBash, "--norc", "--noprofile", "-c", script}, shell_env(f), {}, 30s);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return lines(r.out);
}

// zsh: _describe and compadd only work inside the completion system, so they are replaced by
// functions printing what would be offered; the script's own logic runs unchanged.
std::vector<std::string> zsh_complete(const AgentFixture& f, const std::string& words) {
  const std::string script =
      "compdef() { : }\n"
      // (its own array must not be called `items`: that would hide the caller's, which it reads by name)
      "_describe() { local -a described; described=(\"${(@P)${@[-1]}}\"); print -rl -- ${described%%:*} }\n"
      "compadd() { [[ $1 == -a ]] && print -rl -- \"${(@P)2}\" }\n"
      "_files() { print -r -- '<files>' }\n"
      "_message() { : }\n"
      "source <(fluxloop completion zsh) || exit 9\n"
      "words=(" + words + ")\n"
      "CURRENT=${#words}\n"
      "_fluxloop\n";
  auto r = testsupport::run({kZsh, "-f", "-c", script}, shell_env(f), {}, 30s);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return lines(r.out);
}

// fish computes completions itself: `complete -C` is exactly what a Tab press would offer.
std::vector<std::string> fish_complete(const AgentFixture& f, const std::string& line) {
  const std::string script = "fluxloop completion fish | source; or exit 9\ncomplete -C '" + line + "'\n";
  auto r = testsupport::run({kFish, "--no-config", "-c", script}, shell_env(f), {}, 30s);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::vector<std::string> out;
  for (const auto& l : lines(r.out)) out.push_back(l.substr(0, l.find('\t')));  // "auth\tLog in…"
  return out;
}

void import_profiles(AgentFixture& f) {
  f.start();
  for (const char* profile : {"staging", "stage-2", "production"}) {
    const std::string file = clienttest::write_creds(f, std::string(profile) + ".json", clienttest::single_shape({}));
    auto r = f.client({"auth", "import", file, "--profile", profile});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
}

}  // namespace

TEST_CASE("completion: bash completes commands, options, choices and the agent's profile names") {
  REQUIRE_MESSAGE(fs::exists(kBash), "bash is missing");
  AgentFixture f;
  import_profiles(f);

  CHECK(bash_complete(f, "fluxloop au") == std::vector<std::string>{"auth"});
  const auto top = bash_complete(f, "fluxloop ''");
  CHECK(contains(top, "apikeys"));
  CHECK(contains(top, "redact"));
  CHECK_FALSE(contains(top, "completion"));  // hidden, as in --help
  CHECK(bash_complete(f, "fluxloop auth to") == std::vector<std::string>{"token"});
  CHECK(bash_complete(f, "fluxloop auth token --p") == std::vector<std::string>{"--profile"});
  CHECK(bash_complete(f, "fluxloop auth token --profile st") == std::vector<std::string>{"stage-2", "staging"});
  CHECK(bash_complete(f, "fluxloop --version") == std::vector<std::string>{"--version"});
  // A value already given is skipped: the next word is an option again, and positionals count on.
  CHECK(contains(bash_complete(f, "fluxloop auth token --profile staging --"), "--min-valid"));
  CHECK(bash_complete(f, "fluxloop profile remove pro") == std::vector<std::string>{"production"});
  CHECK(bash_complete(f, "fluxloop config set ''") == std::vector<std::string>{"profile", "api_key_file", "cli_bridge"});
  CHECK(bash_complete(f, "fluxloop apikeys create --scope read") == std::vector<std::string>{"read", "read-write"});
  CHECK(bash_complete(f, "fluxloop completion ''") == std::vector<std::string>{"bash", "zsh", "fish"});
  const std::string creds = f.dir() + "/production.json";
  CHECK(bash_complete(f, "fluxloop auth import " + f.dir() + "/produ") == std::vector<std::string>{creds});
}

TEST_CASE("completion: bash lists no profile and starts no agent when none runs") {
  AgentFixture f({{"FLUXLOOP_NO_AUTOSTART", "0"}});  // the script alone must keep the agent from starting
  CHECK(bash_complete(f, "fluxloop auth token --profile ''").empty());
  CHECK_FALSE(fs::exists(f.socket()));
}

TEST_CASE("completion: zsh script parses and completes commands, options and profile names") {
  REQUIRE_MESSAGE(fs::exists(kZsh), "zsh is missing: apt-get install zsh (scripts/install-deps.sh)");
  AgentFixture f;
  import_profiles(f);
  auto script = f.client({"completion", "zsh"});
  REQUIRE(script.exit_code == 0);
  CHECK(script.out.rfind("#compdef fluxloop\n", 0) == 0);
  testsupport::write_file(f.dir() + "/_fluxloop", script.out);
  auto syntax = testsupport::run({kZsh, "-n", f.dir() + "/_fluxloop"}, shell_env(f));
  CHECK_MESSAGE(syntax.exit_code == 0, syntax.err);

  CHECK(zsh_complete(f, "fluxloop au") == std::vector<std::string>{"redact", "api", "auth", "profile", "config", "agent", "apikeys"});
  CHECK(contains(zsh_complete(f, "fluxloop auth ''"), "token"));
  CHECK(contains(zsh_complete(f, "fluxloop auth token --"), "--min-valid"));
  CHECK(zsh_complete(f, "fluxloop auth token --profile ''") == std::vector<std::string>{"production", "stage-2", "staging"});
  CHECK(zsh_complete(f, "fluxloop config set ''") == std::vector<std::string>{"profile", "api_key_file", "cli_bridge"});
  CHECK(zsh_complete(f, "fluxloop auth import ''") == std::vector<std::string>{"<files>"});
}

TEST_CASE("completion: fish completes commands, options and profile names") {
  REQUIRE_MESSAGE(fs::exists(kFish), "fish is missing: apt-get install fish (scripts/install-deps.sh)");
  AgentFixture f;
  import_profiles(f);
  CHECK(fish_complete(f, "fluxloop au") == std::vector<std::string>{"auth"});
  CHECK(contains(fish_complete(f, "fluxloop auth "), "token"));
  CHECK(contains(fish_complete(f, "fluxloop auth token --"), "--profile"));
  const auto profiles = fish_complete(f, "fluxloop auth token --profile st");
  CHECK(contains(profiles, "staging"));
  CHECK(contains(profiles, "stage-2"));
  CHECK(fish_complete(f, "fluxloop config set ") == std::vector<std::string>{"api_key_file", "cli_bridge", "profile"});
}
