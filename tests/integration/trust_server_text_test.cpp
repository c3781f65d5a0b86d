// Server text reaches the terminal without control characters (issue 10, item 8): the emulator answers
// the device authorization with a hostile user_code, or an error whose description carries escape
// sequences and a bell; the real agent and client must show the text and never the sequences.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/trust_common.hpp"
#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace {

using namespace trusttest;
using testsupport::AgentFixture;
using testsupport::PlatformFixture;

constexpr const char* kProfile = "dev";
constexpr const char* kDevicePath = "/oauth/device/code";

struct Stack {
  PlatformFixture p;
  AgentFixture f{p.agent_env()};
  Stack() {
    f.start();
    auto added = f.client({"profile", "add", kProfile, "--issuer", p.issuer(), "--client-id", "fluxloop-cli"});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  }
};

void check_no_controls(const std::string& text) {
  CHECK_FALSE(contains(text, "\x1b"));
  CHECK_FALSE(contains(text, "\x07"));
  CHECK_FALSE(contains(text, "\xc2\x9b"));
}

}  // namespace

TEST_CASE("server text: a device user_code with escape sequences is shown without them") {
  Stack s;
  const nlohmann::json device{{"device_code", "hostile-device-code"},
                              {"user_code", "ABCD-\x1b[31mEFGH\x07\x1b]0;owned\x07"},
                              {"verification_uri", s.p.issuer() + "/device"},
                              {"expires_in", 2},
                              {"interval", 1}};
  s.p.add_fault({{"kind", "response"}, {"path_prefix", kDevicePath}, {"body", device.dump()}});
  // The device code is unknown to the emulator's token endpoint: the login ends within expires_in.
  auto r = s.f.client({"auth", "login", "--device", "--profile", kProfile});
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "ABCD-EFGH\n"));
  check_no_controls(r.err);
}

TEST_CASE("server text: an error_description with escape sequences and a bell is quoted without them") {
  Stack s;
  const nlohmann::json error{{"error", "invalid_request"},
                             {"error_description", "bad \x1b[31mred\x07 thing\xc2\x9b" "2J"}};
  s.p.add_fault({{"kind", "response"}, {"status", 400}, {"path_prefix", kDevicePath}, {"body", error.dump()}});
  auto r = s.f.client({"auth", "login", "--device", "--profile", kProfile});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "invalid_request: bad red thing"));
  check_no_controls(r.err);
}
