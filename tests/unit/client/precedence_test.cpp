#include <doctest/doctest.h>

#include <sys/stat.h>

#include <optional>

#include "client/key_file.hpp"
#include "client/precedence.hpp"
#include "tests/support/process.hpp"

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
  in.api_key_file = [] { return client::Outcome<std::optional<std::string>>(std::nullopt); };  // hermetic
  return in;
}

// A stand-in for the api_key_file source that counts its calls.
struct FakeKeyFile {
  int calls = 0;
  std::optional<std::string> key;
  std::function<client::Outcome<std::optional<std::string>>()> source() {
    return [this] {
      ++calls;
      return client::Outcome<std::optional<std::string>>(key);
    };
  }
};

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
  FakeKeyFile file{.calls = 0, .key = "flx_api_fromfile"};
  in.api_key_file = file.source();
  CHECK(pick().source == CredentialSource::api_key_file);
  CHECK(pick().value == "flx_api_fromfile");
  file.key.reset();
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
    CHECK(c.error().exit_code == 1);
    CHECK(c.error().message.find("Invalid API key") != std::string::npos);
    CHECK(c.error().message.find(bad) == std::string::npos);
    CHECK(c.error().message.find("SuperSecret") == std::string::npos);
  }
  auto env = client::choose_credential(inputs("", "", "", bad, ""));
  CHECK(env.error().message.find("FLUXLOOP_API_KEY") != std::string::npos);
  auto flag = client::choose_credential(inputs(bad, "", "", "", ""));
  CHECK(flag.error().message.find("--api-key") != std::string::npos);
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

TEST_CASE("api_key_file: consulted only after FLUXLOOP_PROFILE, and only when nothing earlier matched") {
  FakeKeyFile file{.calls = 0, .key = "flx_sa_file"};
  for (auto in : {inputs("flx_api_flag", "", "", "", ""), inputs("", "p", "", "", ""), inputs("", "", "tok", "", ""),
                  inputs("", "", "", "flx_api_env", ""), inputs("", "", "", "", "envprofile")}) {
    in.api_key_file = file.source();
    auto c = client::choose_credential(in);
    REQUIRE(c.ok());
    CHECK(c->source != CredentialSource::api_key_file);
  }
  CHECK(file.calls == 0);  // the config is not even read
  auto in = inputs("", "", "", "", "");
  in.api_key_file = file.source();
  auto c = client::choose_credential(in);
  REQUIRE(c.ok());
  CHECK(c->source == CredentialSource::api_key_file);
  CHECK_FALSE(c->from_agent());
  CHECK(file.calls == 1);
  // choose_target follows the same chain: the key travels as the bearer.
  auto target = client::choose_target(in, "https://api.example");
  REQUIRE(target.ok());
  CHECK(target->bearer == "flx_sa_file");
  CHECK(target->profile.empty());
}

TEST_CASE("api_key_file: an unusable file is a failure, never skipped to the default profile") {
  auto in = inputs("", "", "", "", "");
  in.api_key_file = [] { return client::Outcome<std::optional<std::string>>(client::Failure{1, "refusing the API key file /x"}); };
  auto c = client::choose_credential(in);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().exit_code == 1);
  CHECK_FALSE(client::choose_target(in, "").ok());
}

TEST_CASE("api_key_file: the file's mode, owner and content are checked, the key is never quoted") {
  testsupport::TempDir dir;
  const std::string path = dir.path() + "/key";
  const std::string key = "flx_api_FileSecret123";

  testsupport::write_file(path, key + "\n", 0600);
  auto read = client::read_api_key_file(path);
  REQUIRE(read.ok());
  CHECK(*read == key);

  ::chmod(path.c_str(), 0644);
  read = client::read_api_key_file(path);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().exit_code == 1);
  CHECK(read.error().message.find(path) != std::string::npos);
  CHECK(read.error().message.find("chmod 600") != std::string::npos);
  CHECK(read.error().message.find("FileSecret") == std::string::npos);
  ::chmod(path.c_str(), 0640);
  CHECK_FALSE(client::read_api_key_file(path).ok());

  testsupport::write_file(path, "sk_live_NotAFluxKey\n", 0600);
  read = client::read_api_key_file(path);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().message.find("NotAFluxKey") == std::string::npos);
  CHECK(read.error().message.find("flx_api_") != std::string::npos);

  CHECK_FALSE(client::read_api_key_file(dir.path() + "/missing").ok());
  CHECK_FALSE(client::read_api_key_file(dir.path()).ok());  // a directory
}

TEST_CASE("api_key_file: the setting comes from config.json, absent file or setting means none") {
  testsupport::TempDir dir;
  const std::string config = dir.path() + "/config.json";
  auto none = client::api_key_file_setting(config);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  testsupport::write_file(config, R"({"default_profile": "x"})");
  none = client::api_key_file_setting(config);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  testsupport::write_file(config, R"({"api_key_file": "/k/key"})");
  auto some = client::api_key_file_setting(config);
  REQUIRE(some.ok());
  CHECK(some->value_or("") == "/k/key");
  testsupport::write_file(config, R"({"api_key_file": )");
  auto broken = client::api_key_file_setting(config);
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().message.find(config) != std::string::npos);
}
