// Shared by the API key and `fluxloop api` tests: an emulator, an agent with an OAuth profile
// "production" (the default), keys created through the real client, and leak checks.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/lifecycle_common.hpp"
#include "tests/support/agent_fixture.hpp"
#include "tests/support/platform_fixture.hpp"

namespace apikeystest {

using namespace std::chrono_literals;
using lifecycle::contains;
using nlohmann::json;
using testsupport::AgentFixture;
using testsupport::Env;
using testsupport::PlatformFixture;
using testsupport::RunResult;

// The emulator plus an agent holding an OAuth profile "production" (the default profile).
struct Setup {
  PlatformFixture platform{std::vector<std::string>{"--quiet"}};
  AgentFixture agent{platform.agent_env()};
  json tokens;
  Setup() {
    agent.start();
    tokens = testsupport::import_seeded(platform, agent, "production");
  }
};

struct NewKey {
  std::string id;
  std::string key;
};

// `apikeys create --name NAME --json [extra…]` through the production profile: the new id and key.
inline NewKey create_key(AgentFixture& f, const std::string& name, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"apikeys", "create", "--name", name, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto created = f.client(args);
  INFO("apikeys create exit " << created.exit_code << ": " << created.err);
  REQUIRE(created.exit_code == 0);
  const auto doc = json::parse(created.out, nullptr, false);
  REQUIRE(doc.is_object());
  NewKey out{doc["record"].value("id", ""), doc.value("key", "")};
  REQUIRE(out.id.rfind("key_", 0) == 0);
  return out;
}

// An op sent raw over the socket, its reply body parsed (the record of apikey_info/revoke is read
// from the body itself, flat or under "record", whatever the codec's shape).
template <typename Request>
json raw_reply(AgentFixture& f, const Request& request) {
  auto body = testsupport::agent_exchange(f.socket(), proto::encode_request(1, request), 15s);
  REQUIRE(body.ok());
  auto doc = json::parse(*body, nullptr, false);
  REQUIRE(doc.is_object());
  return doc;
}
inline json record_of(const json& reply) { return reply.contains("record") ? reply["record"] : reply; }

// No secret in the agent log or in any output we collected.
inline void check_no_leak(AgentFixture& f, const std::vector<std::string>& secrets,
                          const std::vector<std::string>& outputs) {
  const std::string log = f.log();
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    CHECK_MESSAGE(!contains(log, secret), "a secret is in the agent log");
    for (const auto& output : outputs) CHECK_MESSAGE(!contains(output, secret), "a secret is in a client's stderr");
  }
  CHECK_FALSE(contains(log, "flx_api_"));
  CHECK_FALSE(contains(log, "flx_sa_"));
}

}  // namespace apikeystest
