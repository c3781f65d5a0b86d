// Argument -> request mapping: what each command sends the agent, without an agent.
#include <doctest/doctest.h>

#include "client/commands_auth.hpp"
#include "client/commands_profile.hpp"

namespace {

client::Environment env_with_profile(std::string profile) {
  client::Environment env;
  env.socket_path = "/tmp/unused.sock";
  env.profile = std::move(profile);
  return env;
}

}  // namespace

TEST_CASE("auth token: the request carries the chosen profile and --min-valid") {
  client::AuthTokenOptions options{.profile = "staging", .api_key = "", .min_valid = "5m"};
  auto env = env_with_profile("envprofile");
  env.token = "direct";
  auto credential = client::choose_credential(client::credential_inputs(options, env));
  REQUIRE(credential.ok());
  auto request = client::token_request(*credential, 300);
  CHECK(request.profile == "staging");
  CHECK(request.min_valid == 300);

  options.profile.clear();
  env.token.clear();
  credential = client::choose_credential(client::credential_inputs(options, env));
  REQUIRE(credential.ok());
  CHECK(client::token_request(*credential, 0).profile == "envprofile");

  env.profile.clear();
  credential = client::choose_credential(client::credential_inputs(options, env));
  REQUIRE(credential.ok());
  CHECK(credential->source == client::CredentialSource::agent_default);
  CHECK(client::token_request(*credential, 0).profile.empty());  // the agent applies its default
}

TEST_CASE("auth token: the environment's secrets become inputs unchanged") {
  client::Environment env = env_with_profile("p");
  env.token = "tok";
  env.api_key = "flx_api_k";
  auto in = client::credential_inputs({.profile = "", .api_key = "flx_sa_flag", .min_valid = ""}, env);
  CHECK(in.api_key_flag == "flx_sa_flag");
  CHECK(in.env_token == "tok");
  CHECK(in.env_api_key == "flx_api_k");
  CHECK(in.env_profile == "p");
}

TEST_CASE("auth import: absolute path sent as given, profile from flag then FLUXLOOP_PROFILE") {
  auto r = client::import_request("/abs/creds.json", "staging", env_with_profile("other"));
  CHECK(r.path == "/abs/creds.json");
  CHECK(r.profile == "staging");
  CHECK(client::import_request("/abs/c.json", "", env_with_profile("other")).profile == "other");
  CHECK(client::import_request("/abs/c.json", "", env_with_profile("")).profile.empty());
}

TEST_CASE("auth status: one profile or all") {
  CHECK(client::status_request("staging", env_with_profile("x")).profile == "staging");
  CHECK(client::status_request("", env_with_profile("x")).profile == "x");
  CHECK(client::status_request("", env_with_profile("")).profile.empty());
}

TEST_CASE("profile add and config set map every field") {
  auto add = client::profile_add_request({.name = "staging",
                                          .issuer = "https://auth.example",
                                          .client_id = "cli",
                                          .api_endpoint = "https://api.example",
                                          .scopes = {"openid", "read"},
                                          .lifetime = "8h"});
  CHECK(add.name == "staging");
  CHECK(add.issuer == "https://auth.example");
  CHECK(add.client_id == "cli");
  CHECK(add.api_endpoint == "https://api.example");
  CHECK(add.scopes == std::vector<std::string>{"openid", "read"});
  CHECK(add.lifetime_seconds == 8 * 3600);

  auto set = client::config_set_request({.key = "profile", .value = "staging"});
  CHECK(set.key == proto::ConfigKey::profile);
  CHECK(client::config_set_request({.key = "cli_bridge", .value = "on"}).key == proto::ConfigKey::cli_bridge);
  CHECK(client::config_keys() == std::vector<std::string>{"profile", "api_key_file", "cli_bridge"});
  CHECK(set.value == "staging");
}
