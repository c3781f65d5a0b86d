// API keys on a fluxloop profile (CONTRACT.md): project-scoped under /api/api-keys, UUID ids, the
// three shapes of the create answer, --project-id or ./.fluxloop/project.json, and name-or-id
// arguments resolved by exact id, then exact name, ambiguity an error. No key in any log.
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using testsupport::AgentFixture;
using testsupport::PlatformFixture;
using testsupport::RunResult;
using nlohmann::json;

const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

struct Stack {
  PlatformFixture p{std::vector<std::string>{"--quiet"}};
  AgentFixture f{p.agent_env()};
  std::string project;
  Stack() {
    f.start();
    auto login = f.client({"auth", "login", "--no-browser"}, {}, {{"FLUXLOOP_API_ENDPOINT", p.issuer()}});
    REQUIRE_MESSAGE(login.exit_code == 0, login.err);
    auto projects = json::parse(f.client({"api", "GET", "/api/projects"}).out);
    REQUIRE(projects.is_array());
    REQUIRE_FALSE(projects.empty());
    project = projects[0]["id"];
  }
  // The client run in `dir` (for ./.fluxloop/project.json).
  RunResult client_in(const std::string& dir, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", dir, testsupport::kClient};
    argv.insert(argv.end(), args.begin(), args.end());
    return testsupport::run(argv, f.env());
  }
};

}  // namespace

TEST_CASE("fluxloop apikeys: each shape of the create answer, UUID ids, list, info and revoke by id or name") {
  Stack s;
  // Without a project the agent says how to name one.
  auto none = s.f.client({"apikeys", "list"});
  CHECK(none.exit_code != 0);
  CHECK(contains(none.err, "--project-id"));
  CHECK(contains(none.err, "project.json"));

  std::vector<std::string> keys;
  for (const std::string shape : {"key", "api_key", "api_key_object", "api_key_data"}) {
    CAPTURE(shape);
    s.p.config({{"api_key_shape", shape}});
    auto created = s.f.client({"apikeys", "create", "--name", "ci-" + shape, "--project-id", s.project, "--json"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    const json out = json::parse(created.out);
    const std::string key = out.value("key", "");
    CHECK(key.rfind("flx_api_", 0) == 0);
    CHECK(std::regex_match(out["record"]["id"].get<std::string>(), kUuid));
    CHECK(s.p.api_get("/api/projects", key).status == 200);  // the key works
    keys.push_back(key);
  }

  auto list = s.f.client({"apikeys", "list", "--project-id", s.project, "--json"});
  REQUIRE_MESSAGE(list.exit_code == 0, list.err);
  const json listed = json::parse(list.out);
  REQUIRE(listed["keys"].size() == 4);
  const std::string id = listed["keys"][0]["id"];
  const std::string name = listed["keys"][0]["name"];

  auto by_id = s.f.client({"apikeys", "info", id, "--project-id", s.project, "--json"});
  REQUIRE_MESSAGE(by_id.exit_code == 0, by_id.err);
  CHECK(json::parse(by_id.out)["name"] == name);
  auto by_name = s.f.client({"apikeys", "info", name, "--project-id", s.project, "--json"});
  REQUIRE_MESSAGE(by_name.exit_code == 0, by_name.err);
  CHECK(json::parse(by_name.out)["id"] == id);

  // Two keys of one name: the name is ambiguous, each id still works.
  REQUIRE(s.f.client({"apikeys", "create", "--name", "twin", "--project-id", s.project}).exit_code == 0);
  REQUIRE(s.f.client({"apikeys", "create", "--name", "twin", "--project-id", s.project}).exit_code == 0);
  auto ambiguous = s.f.client({"apikeys", "revoke", "twin", "--project-id", s.project});
  CHECK(ambiguous.exit_code != 0);
  CHECK(contains(ambiguous.err, "several API keys are named 'twin'"));
  auto unknown = s.f.client({"apikeys", "info", "nobody", "--project-id", s.project});
  CHECK(unknown.exit_code != 0);
  CHECK(contains(unknown.err, "no API key with the id or name"));

  auto revoked = s.f.client({"apikeys", "revoke", id, "--project-id", s.project});
  REQUIRE_MESSAGE(revoked.exit_code == 0, revoked.err);
  const json after = json::parse(s.f.client({"apikeys", "list", "--project-id", s.project, "--json"}).out);
  for (const auto& k : after["keys"]) CHECK(k["id"] != id);

  const std::string logs = s.f.log() + testsupport::read_file(s.f.home() + "/audit.log") + s.p.log();
  for (const auto& key : keys) {
    CHECK_FALSE(contains(logs, key));
    CHECK_FALSE(contains(list.out + by_id.out + by_name.err + revoked.err, key));
  }
}

TEST_CASE("fluxloop apikeys: the project of ./.fluxloop/project.json, overridden by --project-id") {
  Stack s;
  testsupport::TempDir work;
  std::filesystem::create_directories(work.path() + "/.fluxloop");
  testsupport::write_file(work.path() + "/.fluxloop/project.json",
                          json{{"project_id", s.project}, {"project_name", "Demo project"}}.dump(), 0600);
  auto created = s.client_in(work.path(), {"apikeys", "create", "--name", "from-dir", "--json"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto listed = s.client_in(work.path(), {"apikeys", "list", "--json"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  CHECK(json::parse(listed.out)["keys"].size() == 1);
  auto other = s.client_in(work.path(), {"apikeys", "list", "--project-id", "00000000-0000-4000-8000-000000000000"});
  CHECK(other.exit_code != 0);  // the emulator knows no such project: the flag won over the file

  testsupport::write_file(work.path() + "/.fluxloop/project.json", "{\"project_name\": \"x\"}", 0600);
  auto broken = s.client_in(work.path(), {"apikeys", "list"});
  CHECK(broken.exit_code == 1);
  CHECK(contains(broken.err, "has no project_id"));
}
