#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "client/cli.hpp"
#include "client/passthrough.hpp"
#include "tests/support/process.hpp"

namespace {

bool ours(std::vector<std::string> words) {
  std::vector<char*> argv;
  static char name[] = "fluxloop";
  argv.push_back(name);
  for (auto& w : words) argv.push_back(w.data());
  return client::implemented(static_cast<int>(argv.size()), argv.data());
}

void make_executable(const std::string& path) {
  testsupport::write_file(path, "#!/bin/sh\nexit 0\n", 0755);
}

}  // namespace

TEST_CASE("pass-through: which commands are ours and which go to the platform CLI") {
  CHECK(ours({}));
  CHECK(ours({"--help"}));
  CHECK(ours({"--version"}));
  CHECK(ours({"auth", "token"}));
  CHECK(ours({"auth"}));
  CHECK(ours({"auth", "--help"}));
  CHECK(ours({"redact"}));
  CHECK(ours({"api", "GET", "/api/projects"}));
  CHECK(ours({"config", "set", "cli_bridge", "off"}));
  CHECK(ours({"config", "set", "profile", "x"}));
  CHECK(ours({"config", "set"}));  // our usage error, not theirs
  CHECK(ours({"apikeys", "create", "--name", "k"}));

  CHECK_FALSE(ours({"projects", "list"}));
  CHECK_FALSE(ours({"test", "--upload"}));
  CHECK_FALSE(ours({"sync", "pull"}));
  CHECK_FALSE(ours({"config", "show"}));
  CHECK_FALSE(ours({"config", "set", "llm_model", "x"}));
  CHECK_FALSE(ours({"apikeys", "check"}));
  CHECK_FALSE(ours({"init", "--help"}));
}

TEST_CASE("pass-through: the platform CLI is FLUXLOOP_PLATFORM_CLI, else the first other fluxloop on PATH") {
  testsupport::TempDir dir;
  const std::string first = dir.path() + "/first", second = dir.path() + "/second", third = dir.path() + "/third";
  for (const auto& d : {first, second, third}) std::filesystem::create_directories(d);
  make_executable(first + "/fluxloop");  // "us"
  std::filesystem::create_symlink(first + "/fluxloop", second + "/fluxloop");  // us again, by a link
  make_executable(third + "/fluxloop");  // the platform CLI
  testsupport::write_file(second + "/notexec", "", 0644);
  const auto self = client::file_id(first + "/fluxloop");
  REQUIRE(self.has_value());
  const std::string path_list = first + ":" + second + ":" + third;

  CHECK(client::find_platform_cli("", path_list, self) == std::optional<std::string>(third + "/fluxloop"));
  CHECK_FALSE(client::find_platform_cli("", first + ":" + second, self).has_value());
  CHECK(client::find_platform_cli(third + "/fluxloop", "", self) == std::optional<std::string>(third + "/fluxloop"));
  CHECK_FALSE(client::find_platform_cli(second + "/fluxloop", path_list, self).has_value());  // that is us
  CHECK_FALSE(client::find_platform_cli(second + "/notexec", path_list, self).has_value());
  CHECK_FALSE(client::find_platform_cli(dir.path() + "/missing", path_list, self).has_value());
  CHECK(client::find_platform_cli("fluxloop", path_list, self) == std::optional<std::string>(third + "/fluxloop"));
}
