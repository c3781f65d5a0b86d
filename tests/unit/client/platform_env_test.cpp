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
  CHECK(*client::project_id_of("", dir.string()) == "");
  CHECK(*client::project_id_of("p-flag", dir.string()) == "p-flag");
  std::ofstream(dir / ".fluxloop" / "project.json") << R"({"project_id": "3b8e0c7a-uuid", "project_name": "Demo"})";
  CHECK(*client::project_id_of("", dir.string()) == "3b8e0c7a-uuid");
  CHECK(*client::project_id_of("p-flag", dir.string()) == "p-flag");
  std::ofstream(dir / ".fluxloop" / "project.json") << R"({"project_name": "Demo"})";
  auto missing = client::project_id_of("", dir.string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("project.json has no project_id") != std::string::npos);
  CHECK(missing.error().message.find("--project-id") != std::string::npos);
  std::filesystem::remove_all(dir);
}
