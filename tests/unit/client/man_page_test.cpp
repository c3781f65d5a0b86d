// The man page source cannot drift from the code: every command, option and argument of the client's
// command tree, and every FLUXLOOP_* variable any part of the code reads, must appear in
// docs/man/fluxloop.1.scd. (fluxloop-agentd's options: tests/integration/docs_test.cpp.)
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "client/cli.hpp"
#include "tests/support/agent_fixture.hpp"

namespace fs = std::filesystem;

namespace {

std::string man_source() { return testsupport::read_file(testsupport::kSourceDir + "/docs/man/fluxloop.1.scd"); }

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("man page: every command of the client's tree is documented in fluxloop(1)") {
  const std::string man = man_source();
  REQUIRE_FALSE(man.empty());
  const auto commands = client::command_specs();
  REQUIRE(commands.size() > 20);
  for (const auto& command : commands) {
    if (command.path.empty()) continue;
    // Bold, as the page sets commands: "*auth token*", or a group as the start of one: "*auth login*".
    CHECK_MESSAGE((has(man, "*" + command.path + "*") || has(man, "*" + command.path + " ")),
                  "fluxloop(1) does not document the command `fluxloop ", command.path, "`");
    for (const auto& arg : command.args) {
      CHECK_MESSAGE(has(man, "_" + arg.name + "_"), "fluxloop(1) does not name the argument ", arg.name, " of `fluxloop ",
                    command.path, "`");
    }
  }
}

TEST_CASE("man page: every option of the client's tree is documented in fluxloop(1)") {
  const std::string man = man_source();
  std::set<std::string> seen;
  for (const auto& command : client::command_specs()) {
    for (const auto& option : command.options) {
      if (!option.name.starts_with("--") || !seen.insert(option.name).second) continue;
      CHECK_MESSAGE(has(man, "*" + option.name + "*"), "fluxloop(1) does not document ", option.name, " (of `fluxloop ",
                    command.path, "`)");
    }
  }
  CHECK(seen.contains("--profile"));
  CHECK(seen.contains("--version"));
}

TEST_CASE("man page: every FLUXLOOP_ variable the code reads is in fluxloop(1)'s ENVIRONMENT") {
  const std::string man = man_source();
  const auto environment = man.find("# ENVIRONMENT");
  REQUIRE(environment != std::string::npos);
  const std::string section = man.substr(environment, man.find("\n# ", environment + 1) - environment);
  const std::regex variable(R"re("(FLUXLOOP_[A-Z_]+)")re");
  std::set<std::string> names;
  for (const char* dir : {"client", "proto", "agentd"}) {
    for (const auto& entry : fs::recursive_directory_iterator(testsupport::kSourceDir + "/" + dir)) {
      if (entry.path().extension() != ".cpp" && entry.path().extension() != ".hpp") continue;
      const std::string code = testsupport::read_file(entry.path().string());
      for (std::sregex_iterator it(code.begin(), code.end(), variable), end; it != end; ++it) names.insert((*it)[1]);
    }
  }
  CHECK(names.contains("FLUXLOOP_AGENT_SOCK"));
  for (const auto& name : names) {
    CHECK_MESSAGE(has(section, "*" + name + "*"), "fluxloop(1) ENVIRONMENT does not document ", name);
  }
}

TEST_CASE("man page: the exit status section lists every exit code of the contract") {
  const std::string man = man_source();
  const auto exit_status = man.find("# EXIT STATUS");
  REQUIRE(exit_status != std::string::npos);
  for (int code = 0; code <= 6; ++code) CHECK(has(man.substr(exit_status), "\n*" + std::to_string(code) + "*\n"));
}
