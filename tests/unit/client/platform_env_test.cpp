// The platform CLI's environment names as aliases (CONTRACT.md), and the project of apikeys.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "client/app.hpp"
#include "client/project.hpp"

namespace {

client::Environment environment(std::map<std::string, std::string> vars) {
  return client::Environment::from([&](const char* name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  });
}

}  // namespace

TEST_CASE("environment aliases: the contract's name wins, the platform CLI's names stand in") {
  CHECK(environment({{"FLUXLOOP_SYNC_API_KEY", "flx_api_s"}}).api_key == "flx_api_s");
  CHECK(environment({{"FLUXLOOP_SYNC_API_KEY", "flx_api_s"}, {"FLUXLOOP_API_KEY", "flx_api_k"}}).api_key == "flx_api_k");
  CHECK(environment({{"FLUXLOOP_SYNC_URL", "https://sync"}}).api_endpoint == "https://sync");
  CHECK(environment({{"FLUXLOOP_SYNC_URL", "https://sync"}, {"FLUXLOOP_API_URL", "https://url"}}).api_endpoint == "https://url");
  CHECK(environment({{"FLUXLOOP_API_URL", "https://url"}, {"FLUXLOOP_API_ENDPOINT", "https://endpoint"}}).api_endpoint ==
        "https://endpoint");
  CHECK(environment({}).api_endpoint.empty());
}

TEST_CASE("apikeys project: --project-id, else ./.fluxloop/project.json, else none, a broken file is an error") {
  const auto dir = std::filesystem::temp_directory_path() / ("fluxloop-project-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / ".fluxloop");
  CHECK(*client::project_id_of("", dir.string(), "") == "");
  CHECK(*client::project_id_of("p-flag", dir.string(), "") == "p-flag");
  std::ofstream(dir / ".fluxloop" / "project.json") << R"({"project_id": "3b8e0c7a-uuid", "project_name": "Demo"})";
  CHECK(*client::project_id_of("", dir.string(), "") == "3b8e0c7a-uuid");
  CHECK(*client::project_id_of("p-flag", dir.string(), "") == "p-flag");
  std::ofstream(dir / ".fluxloop" / "project.json") << R"({"project_id": 42, "project_name": "Demo"})";
  CHECK(*client::project_id_of("", dir.string(), "") == "42");
  std::ofstream(dir / ".fluxloop" / "project.json") << R"({"project_name": "Demo"})";
  auto missing = client::project_id_of("", dir.string(), "");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("project.json has no project_id") != std::string::npos);
  CHECK(missing.error().message.find("--project-id") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("apikeys project: found as the platform CLI finds it, the nearest .fluxloop above, the home directory skipped") {
  const auto root = std::filesystem::temp_directory_path() / ("fluxloop-workspace-" + std::to_string(::getpid()));
  const auto deep = root / "repo" / "src" / "pkg";
  std::filesystem::create_directories(deep);
  const std::string home = (root / "repo").string();
  // Nothing anywhere up to /: none (unless the machine has a /.fluxloop, which the test does not make).
  if (!std::filesystem::exists("/.fluxloop") && !std::filesystem::exists(std::filesystem::temp_directory_path() / ".fluxloop")) {
    CHECK(client::workspace_project_file(deep.string(), "").empty());
    CHECK(*client::project_id_of("", deep.string(), "") == "");
  }
  std::filesystem::create_directories(root / "repo" / ".fluxloop");
  std::ofstream(root / "repo" / ".fluxloop" / "project.json") << R"({"project_id": "from-repo"})";
  CHECK(client::workspace_project_file(deep.string(), "") == (root / "repo" / ".fluxloop" / "project.json").string());
  CHECK(*client::project_id_of("", deep.string(), "") == "from-repo");
  // The same directory as the home directory: its .fluxloop is the global one, skipped.
  CHECK(client::workspace_project_file(deep.string(), home) != (root / "repo" / ".fluxloop" / "project.json").string());
  // The nearest .fluxloop wins, even without a project.json (the platform CLI stops there too).
  std::filesystem::create_directories(root / "repo" / "src" / ".fluxloop");
  CHECK(client::workspace_project_file(deep.string(), "") == (root / "repo" / "src" / ".fluxloop" / "project.json").string());
  CHECK(*client::project_id_of("", deep.string(), "") == "");
  // Relative or empty working directories find nothing.
  CHECK(client::workspace_project_file("relative/dir", "").empty());
  CHECK(client::workspace_project_file("", "").empty());
  std::filesystem::remove_all(root);
}

TEST_CASE("apikeys project: a project.json of another user is refused, naming the file") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to give the file to another uid");
    return;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("fluxloop-project-owner-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / ".fluxloop");
  const auto file = dir / ".fluxloop" / "project.json";
  std::ofstream(file) << R"({"project_id": "planted"})";
  REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  auto refused = client::project_id_of("", dir.string(), "");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("belongs to uid 65534") != std::string::npos);
  CHECK(refused.error().message.find(file.string()) != std::string::npos);
  std::filesystem::remove_all(dir);
}
