#include <doctest/doctest.h>

#include <sys/stat.h>

#include "agentd/config/config.hpp"
#include "tests/support/process.hpp"

using agentd::config::Config;

TEST_CASE("config round-trips through its file, written 0600") {
  testsupport::TempDir dir;
  const auto path = dir.path() + "/config.json";
  Config config;
  config.default_profile = "staging";
  config.store = "file";
  config.profiles["staging"] = {proto::ProfileKind::oidc, "https://auth.example", "cli", "https://api.example", {"openid", "email"}};
  config.profiles["work"] = {proto::ProfileKind::fluxloop, "", "", "https://api.example", {}};
  REQUIRE(agentd::config::save(path, config).ok());
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto loaded = agentd::config::load(path);
  REQUIRE(loaded.ok());
  CHECK(*loaded == config);
}

TEST_CASE("a profile's kind: written, and for older files oidc with an issuer, else fluxloop") {
  testsupport::TempDir dir;
  const auto path = dir.path() + "/config.json";
  testsupport::write_file(path, R"({"profiles": {"old": {"issuer": "https://i", "client_id": "c"}, "bare": {},
      "explicit": {"kind": "fluxloop", "api_endpoint": "https://api"}}})");
  auto loaded = agentd::config::load(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->profiles.at("old").kind == proto::ProfileKind::oidc);
  CHECK(loaded->profiles.at("bare").kind == proto::ProfileKind::fluxloop);
  CHECK(loaded->profiles.at("explicit").kind == proto::ProfileKind::fluxloop);
  testsupport::write_file(path, R"({"profiles": {"p": {"kind": "ldap"}}})");
  CHECK_FALSE(agentd::config::load(path).ok());
}

TEST_CASE("a missing config is empty, a corrupt one is an error and is left alone") {
  testsupport::TempDir dir;
  const auto path = dir.path() + "/config.json";
  auto empty = agentd::config::load(path);
  REQUIRE(empty.ok());
  CHECK(empty->profiles.empty());

  testsupport::write_file(path, "{\"profiles\": [1,2");
  auto corrupt = agentd::config::load(path);
  REQUIRE_FALSE(corrupt.ok());
  CHECK(corrupt.error().code == proto::ErrorCode::store_error);
  CHECK(corrupt.error().message.find(path) != std::string::npos);
  CHECK(testsupport::read_file(path) == "{\"profiles\": [1,2");

  testsupport::write_file(path, R"({"profiles": {"p": {"issuer": 5}}})");
  auto wrong_type = agentd::config::load(path);
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.error().message.find("issuer") != std::string::npos);
}

TEST_CASE("profile names and endpoints are validated") {
  CHECK(agentd::config::validate_profile_name("production").ok());
  CHECK(agentd::config::validate_profile_name("my-team_2.dev").ok());
  CHECK_FALSE(agentd::config::validate_profile_name("").ok());
  CHECK_FALSE(agentd::config::validate_profile_name("../etc").ok());
  CHECK_FALSE(agentd::config::validate_profile_name("-rf").ok());
  CHECK_FALSE(agentd::config::validate_profile_name("a b").ok());
  CHECK_FALSE(agentd::config::validate_profile_name(std::string(65, 'a')).ok());

  CHECK(agentd::config::validate_https_url("https://auth.fluxloop.ai", "--issuer").ok());
  auto insecure = agentd::config::validate_https_url("http://auth.fluxloop.ai", "--issuer");
  REQUIRE_FALSE(insecure.ok());
  CHECK(insecure.error().message.find("http://") != std::string::npos);
  CHECK_FALSE(agentd::config::validate_https_url("ftp://x", "--issuer").ok());
  CHECK_FALSE(agentd::config::validate_https_url("https://a b", "--issuer").ok());
}
