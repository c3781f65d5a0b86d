#include <doctest/doctest.h>

#include "client/precedence.hpp"

using client::CredentialInputs;
using client::CredentialSource;

namespace {

// Positional, so tests name only what matters without -Wmissing-field-initializers noise.
CredentialInputs inputs(std::string api_key_flag, std::string profile_flag, std::string env_token,
                        std::string env_api_key, std::string env_profile) {
  CredentialInputs in;
  in.api_key_flag = std::move(api_key_flag);
  in.profile_flag = std::move(profile_flag);
  in.env_token = std::move(env_token);
  in.env_api_key = std::move(env_api_key);
  in.env_profile = std::move(env_profile);
  return in;
}

// Every input set, so each case removes what should win and checks the next in line.
CredentialInputs everything() {
  return inputs("flx_api_flag", "flagprofile", "envtoken", "flx_sa_env", "envprofile");
}

}  // namespace

TEST_CASE("credential precedence: first match wins, in contract order") {
  CredentialInputs in = everything();
  auto pick = [&] {
    auto c = client::choose_credential(in);
    REQUIRE(c.ok());
    return *c;
  };

  CHECK(pick().source == CredentialSource::api_key_flag);
  CHECK(pick().value == "flx_api_flag");
  in.api_key_flag.clear();
  CHECK(pick().source == CredentialSource::profile_flag);
  CHECK(pick().value == "flagprofile");
  in.profile_flag.clear();
  CHECK(pick().source == CredentialSource::env_token);
  CHECK(pick().value == "envtoken");
  in.env_token.clear();
  CHECK(pick().source == CredentialSource::env_api_key);
  CHECK(pick().value == "flx_sa_env");
  in.env_api_key.clear();
  CHECK(pick().source == CredentialSource::env_profile);
  CHECK(pick().value == "envprofile");
  in.env_profile.clear();
  CHECK(pick().source == CredentialSource::agent_default);
  CHECK(pick().value.empty());
}

TEST_CASE("credential precedence: which sources ask the agent") {
  using client::Credential;
  CHECK_FALSE(Credential{CredentialSource::api_key_flag, "k"}.from_agent());
  CHECK(Credential{CredentialSource::profile_flag, "p"}.from_agent());
  CHECK_FALSE(Credential{CredentialSource::env_token, "t"}.from_agent());
  CHECK_FALSE(Credential{CredentialSource::env_api_key, "k"}.from_agent());
  CHECK(Credential{CredentialSource::env_profile, "p"}.from_agent());
  CHECK(Credential{CredentialSource::agent_default, ""}.from_agent());
}

TEST_CASE("--profile beats FLUXLOOP_TOKEN and FLUXLOOP_API_KEY, FLUXLOOP_TOKEN beats FLUXLOOP_API_KEY") {
  auto c = client::choose_credential(inputs("", "staging", "t", "flx_api_k", ""));
  REQUIRE(c.ok());
  CHECK(c->source == CredentialSource::profile_flag);
  c = client::choose_credential(inputs("", "", "t", "not-a-key", "p"));
  REQUIRE(c.ok());  // the invalid key never wins, so it is never checked
  CHECK(c->source == CredentialSource::env_token);
  c = client::choose_credential(inputs("", "", "", "flx_api_k", "p"));
  REQUIRE(c.ok());
  CHECK(c->source == CredentialSource::env_api_key);
}

TEST_CASE("an invalid API key is refused with exit 1 and never echoed") {
  const std::string bad = "sk_live_SuperSecretValue123";
  for (auto in : {inputs("", "", "", bad, ""), inputs(bad, "", "t", "", "")}) {
    auto c = client::choose_credential(in);
    REQUIRE_FALSE(c.ok());
    CHECK(c.failure().exit_code == 1);
    CHECK(c.failure().message.find("Invalid API key") != std::string::npos);
    CHECK(c.failure().message.find(bad) == std::string::npos);
    CHECK(c.failure().message.find("SuperSecret") == std::string::npos);
  }
  auto env = client::choose_credential(inputs("", "", "", bad, ""));
  CHECK(env.failure().message.find("FLUXLOOP_API_KEY") != std::string::npos);
  auto flag = client::choose_credential(inputs(bad, "", "", "", ""));
  CHECK(flag.failure().message.find("--api-key") != std::string::npos);
}

TEST_CASE("API key format") {
  CHECK(client::api_key_format_ok("flx_api_abc"));
  CHECK(client::api_key_format_ok("flx_sa_abc"));
  CHECK_FALSE(client::api_key_format_ok("flx_api_"));  // a prefix alone is no key
  CHECK_FALSE(client::api_key_format_ok("flx_sa_"));
  CHECK_FALSE(client::api_key_format_ok("flx_abc"));
  CHECK_FALSE(client::api_key_format_ok("FLX_API_abc"));
  CHECK_FALSE(client::api_key_format_ok(" flx_api_abc"));
  CHECK_FALSE(client::api_key_format_ok(""));
}

TEST_CASE("profile precedence for profile commands: --profile, FLUXLOOP_PROFILE, agent default") {
  CHECK(client::choose_profile("a", "b") == "a");
  CHECK(client::choose_profile("", "b") == "b");
  CHECK(client::choose_profile("", "") == "");
}
