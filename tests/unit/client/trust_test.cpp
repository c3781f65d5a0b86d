#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "client/app.hpp"
#include "client/commands_login.hpp"
#include "proto/paths.hpp"

TEST_CASE("scrub_secret_arguments: --api-key values and bare keys become x's in argv's own memory") {
  std::vector<std::string> args{"fluxloop", "apikeys", "list", "--api-key", "flx_api_0123456789abcdef",
                                "--api-key=flx_sa_fedcba9876543210", "revoke", "flx_api_aaaabbbbccccdddd",
                                "key_123", "--profile", "dev"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  client::scrub_secret_arguments(static_cast<int>(argv.size()), argv.data());
  CHECK(std::string(argv[4]) == std::string(24, 'x'));
  CHECK(std::string(argv[5]) == "--api-key=" + std::string(23, 'x'));
  CHECK(std::string(argv[7]) == std::string(24, 'x'));
  CHECK(std::string(argv[8]) == "key_123");  // ids are no secrets
  CHECK(std::string(argv[10]) == "dev");
  CHECK(std::string(argv[3]) == "--api-key");
}

TEST_CASE("openable_login_url: https only, nothing a browser or a shell could misread") {
  CHECK(client::openable_login_url("https://auth.example.com/authorize?state=x&code_challenge=y"));
  CHECK(client::openable_login_url("HTTPS://auth.example.com/"));
  CHECK_FALSE(client::openable_login_url("http://auth.example.com/"));
  CHECK_FALSE(client::openable_login_url("file:///etc/passwd"));
  CHECK_FALSE(client::openable_login_url("javascript:alert(1)"));
  CHECK_FALSE(client::openable_login_url("--new-window=https://x"));
  CHECK_FALSE(client::openable_login_url("https://"));
  CHECK_FALSE(client::openable_login_url("https:///path"));
  CHECK_FALSE(client::openable_login_url("https://a.example/ b"));
  CHECK_FALSE(client::openable_login_url("https://a.example/\x1b[31m"));
}

TEST_CASE("agent record: what agent.lock holds, read back strictly") {
  const auto text = proto::format_agent_record({4242, "/run/user/1000/fluxloop/agent.sock"});
  CHECK(text == "4242\n/run/user/1000/fluxloop/agent.sock\n");
  auto record = proto::parse_agent_record(text);
  REQUIRE(record);
  CHECK(record->pid == 4242);
  CHECK(record->socket == "/run/user/1000/fluxloop/agent.sock");
  CHECK_FALSE(proto::parse_agent_record(""));
  CHECK_FALSE(proto::parse_agent_record("4242\n"));
  CHECK_FALSE(proto::parse_agent_record("4242\nrelative/agent.sock\n"));
  CHECK_FALSE(proto::parse_agent_record("0\n/a.sock\n"));
  CHECK_FALSE(proto::parse_agent_record("12x\n/a.sock\n"));
  CHECK_FALSE(proto::parse_agent_record("1\n/a\x1b.sock\n"));
}
