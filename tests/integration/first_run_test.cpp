// First run: with no agent and no profile, `fluxloop` names the one command to run next.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/integration/client_common.hpp"

namespace fs = std::filesystem;
using clienttest::AgentFixture;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

constexpr const char* kNextStep = "nothing is set up yet: run `fluxloop auth login`";

}  // namespace

TEST_CASE("first run: bare fluxloop with no agent and no profile says to run fluxloop auth login") {
  AgentFixture f;  // never started; FLUXLOOP_HOME does not exist yet
  auto r = f.client({});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, kNextStep), r.err);
  CHECK_FALSE(fs::exists(f.socket()));  // asking did not start an agent
}

TEST_CASE("first run: an agent without profiles gives the same hint, a profile ends it") {
  AgentFixture f;
  f.start();
  auto r = f.client({});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, kNextStep), r.err);

  // auth token names the same single step while nothing is set up.
  auto token = f.client({"auth", "token"});
  CHECK(token.exit_code == 3);
  CHECK_MESSAGE(contains(token.err, "no profile is set up yet: run `fluxloop auth login`"), token.err);

  const std::string file = clienttest::write_creds(f, "creds.json", clienttest::single_shape({}));
  REQUIRE(f.client({"auth", "import", file}).exit_code == 0);
  auto after = f.client({});
  CHECK(after.exit_code == 2);
  CHECK_FALSE(contains(after.err, "nothing is set up"));
  CHECK(contains(after.err, "missing command"));
}

TEST_CASE("first run: no agent, but a home with profiles: the ordinary usage message") {
  AgentFixture f;
  fs::create_directories(f.home());
  testsupport::write_file(f.home() + "/config.json", R"({"profiles": {"staging": {"issuer": "https://id.example"}}})");
  auto r = f.client({});
  CHECK(r.exit_code == 2);
  CHECK_FALSE(contains(r.err, "nothing is set up"));
  CHECK(contains(r.err, "missing command"));
}
