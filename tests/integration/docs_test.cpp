// fluxloop-agentd(1) cannot drift from the agent: every option its --help lists is in the man source.
// (The client's commands and options: tests/unit/client/man_page_test.cpp.)
#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <string>

#include "tests/support/agent_fixture.hpp"

TEST_CASE("man page: every option of fluxloop-agentd --help is documented in fluxloop-agentd(1)") {
  const std::string man = testsupport::read_file(testsupport::kSourceDir + "/docs/man/fluxloop-agentd.1.scd");
  REQUIRE_FALSE(man.empty());
  testsupport::TempDir tmp;
  auto help = testsupport::run({testsupport::kAgentd, "--help"}, testsupport::base_env(tmp.path()));
  REQUIRE(help.exit_code == 0);
  const std::regex option(R"re((--[a-z][a-z-]*))re");
  std::set<std::string> options;
  for (std::sregex_iterator it(help.out.begin(), help.out.end(), option), end; it != end; ++it) options.insert((*it)[1]);
  CHECK(options.contains("--foreground"));
  CHECK(options.contains("--lifetime"));
  for (const auto& name : options) {
    CHECK_MESSAGE(man.find("*" + name + "*") != std::string::npos, "fluxloop-agentd(1) does not document ", name);
  }
}
