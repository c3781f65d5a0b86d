#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "agentd/bridge/auth_file.hpp"
#include "agentd/tokens/clock.hpp"
#include "agentd/config/config.hpp"
#include "agentd/store/credentials.hpp"
#include "tests/support/process.hpp"

using agentd::bridge::looks_like_platform_login;
using agentd::tokens::normalize_expires_at;
using agentd::bridge::parse_platform_login;
using agentd::bridge::PlatformLogin;
using agentd::bridge::render_bridge;

namespace {

constexpr const char* kAccess = "flx_testaccess_7f3a9c1e5b2d4f60";
constexpr const char* kRefresh = "flx_refresh_testrefresh_0a1b2c3d4e";

std::string platform_file(const std::string& expires = "2030-01-02T03:04:05.123456+00:00") {
  return std::string(R"({"access_token": ")") + kAccess + R"(", "refresh_token": ")" + kRefresh +
         R"(", "expires_at": ")" + expires + R"(", "user_id": "u-42", "user_email": "user@example.com"})";
}

void check_no_secret(const std::string& message) {
  CHECK(message.find("testaccess") == std::string::npos);
  CHECK(message.find("testrefresh") == std::string::npos);
}

mode_t mode_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("bridge auth.json: the platform CLI's file parses, expires_at normalised to UTC Z") {
  auto login = parse_platform_login(platform_file("2030-01-02T04:04:05.5+01:00"));
  REQUIRE(login.ok());
  CHECK(login->access_token == kAccess);
  CHECK(login->refresh_token == kRefresh);
  CHECK(login->expires_at == "2030-01-02T03:04:05Z");
  CHECK(login->user_id == "u-42");
  CHECK(login->user_email == "user@example.com");
  // A naive timestamp (Python isoformat of a naive datetime) is UTC, as the platform CLI reads it.
  CHECK(normalize_expires_at("2030-01-02T03:04:05") == std::optional<std::string>("2030-01-02T03:04:05Z"));
  CHECK(normalize_expires_at("2030-01-02T03:04:05.999") == std::optional<std::string>("2030-01-02T03:04:05Z"));
  CHECK_FALSE(normalize_expires_at("tomorrow").has_value());
}

TEST_CASE("bridge auth.json: strict: required fields, string types, no value quoted in errors") {
  const std::string complete = platform_file();
  for (const char* field : {"access_token", "refresh_token", "expires_at", "user_id"}) {
    auto document = nlohmann::json::parse(complete);
    document.erase(field);
    auto missing = parse_platform_login(document.dump());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find(field) != std::string::npos);
    check_no_secret(missing.error().message);
    document[field] = 5;
    auto typed = parse_platform_login(document.dump());
    REQUIRE_FALSE(typed.ok());
    CHECK(typed.error().message.find("must be a string") != std::string::npos);
  }
  auto no_email = nlohmann::json::parse(complete);
  no_email.erase("user_email");
  CHECK(parse_platform_login(no_email.dump()).ok());
  auto bad_date = parse_platform_login(platform_file("soon"));
  REQUIRE_FALSE(bad_date.ok());
  check_no_secret(bad_date.error().message);
  CHECK_FALSE(parse_platform_login("[1]").ok());
  CHECK_FALSE(parse_platform_login(std::string("{\"access_token\": \"") + kAccess).ok());
  CHECK_FALSE(parse_platform_login(std::string(agentd::bridge::kMaxAuthFileBytes + 1, ' ')).ok());
  CHECK(looks_like_platform_login(complete));
  CHECK_FALSE(looks_like_platform_login(R"({"access_token": "a", "refresh_token": "b", "expires_at": "c"})"));
  CHECK_FALSE(looks_like_platform_login(R"({"profiles": {}, "access_token": "a", "refresh_token": "b", "expires_at": "c", "user_id": "d"})"));
}

TEST_CASE("bridge auth.json: the bridge's rendering never holds the refresh token and reads back") {
  PlatformLogin login;
  login.access_token = kAccess;
  login.refresh_token = kRefresh;
  login.expires_at = "2030-01-02T03:04:05Z";
  login.user_id = "u-42";
  const std::string text = render_bridge(login);
  CHECK(text.find("testrefresh") == std::string::npos);
  auto back = parse_platform_login(text);
  REQUIRE(back.ok());
  CHECK(back->refresh_token.empty());
  CHECK(back->access_token == kAccess);
  CHECK(back->user_email.empty());
  auto document = nlohmann::json::parse(text);
  CHECK(document.at("refresh_token") == "");
  CHECK(document.contains("user_email"));
}

TEST_CASE("bridge auth.json: written 0600 in a 0700 directory, an existing 0755 one narrowed") {
  testsupport::TempDir dir;
  const std::string home = dir.path() + "/.fluxloop";
  const std::string path = home + "/auth.json";
  REQUIRE(agentd::bridge::write_bridge_file(path, "{}\n").ok());
  CHECK(mode_of(home) == 0700);
  CHECK(mode_of(path) == 0600);
  REQUIRE(::chmod(home.c_str(), 0755) == 0);  // as the platform CLI creates it under umask 022
  REQUIRE(agentd::bridge::write_bridge_file(path, "{\"x\": 1}\n").ok());
  CHECK(mode_of(home) == 0700);
  CHECK(testsupport::read_file(path) == "{\"x\": 1}\n");
  auto removed = agentd::bridge::remove_bridge_file(path);
  REQUIRE(removed.ok());
  CHECK(*removed);
  auto again = agentd::bridge::remove_bridge_file(path);
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
}

TEST_CASE("bridge auth.json: reads refuse symlinks, FIFOs and oversized files, and a symlinked directory") {
  testsupport::TempDir dir;
  const std::string home = dir.path() + "/.fluxloop";
  std::filesystem::create_directories(home);
  const std::string path = home + "/auth.json";
  CHECK_FALSE(agentd::bridge::read_auth_file(path).value().has_value());  // absent: nullopt, not an error
  testsupport::write_file(dir.path() + "/elsewhere.json", platform_file());
  std::filesystem::create_symlink(dir.path() + "/elsewhere.json", path);
  auto linked = agentd::bridge::read_auth_file(path);
  REQUIRE_FALSE(linked.ok());
  CHECK(linked.error().message.find("symbolic link") != std::string::npos);
  std::filesystem::remove(path);
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  CHECK_FALSE(agentd::bridge::read_auth_file(path).ok());  // and it did not hang
  std::filesystem::remove(path);
  testsupport::write_file(path, std::string(agentd::bridge::kMaxAuthFileBytes + 1, ' '));
  CHECK_FALSE(agentd::bridge::read_auth_file(path).ok());

  const std::string other = dir.path() + "/other";
  std::filesystem::create_directories(dir.path() + "/real");
  std::filesystem::create_directory_symlink(dir.path() + "/real", other);
  CHECK_FALSE(agentd::bridge::write_bridge_file(other + "/auth.json", "{}").ok());
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/real/auth.json"));
}

TEST_CASE("bridge auth.json: the path is $HOME/.fluxloop/auth.json, whatever FLUXLOOP_HOME says") {
  const char* old_home = std::getenv("HOME");
  const std::string saved = old_home ? old_home : "";
  ::setenv("HOME", "/tmp/some-home", 1);
  ::setenv("FLUXLOOP_HOME", "/tmp/elsewhere", 1);
  CHECK(agentd::bridge::default_bridge_path() == "/tmp/some-home/.fluxloop/auth.json");
  ::unsetenv("FLUXLOOP_HOME");
  if (old_home) ::setenv("HOME", saved.c_str(), 1);
}

TEST_CASE("bridge config: cli_bridge is on by default, written only when off, and read back") {
  testsupport::TempDir dir;
  const std::string path = dir.path() + "/config.json";
  agentd::config::Config config;
  CHECK(config.cli_bridge);
  REQUIRE(agentd::config::save(path, config).ok());
  CHECK(testsupport::read_file(path).find("cli_bridge") == std::string::npos);
  config.cli_bridge = false;
  REQUIRE(agentd::config::save(path, config).ok());
  auto loaded = agentd::config::load(path);
  REQUIRE(loaded.ok());
  CHECK_FALSE(loaded->cli_bridge);
  testsupport::write_file(path, R"({"cli_bridge": "no"})");
  CHECK_FALSE(agentd::config::load(path).ok());
}

TEST_CASE("bridge auth.json: `auth import` reads the platform CLI's file, user_id included") {
  auto parsed = agentd::store::parse_credentials(platform_file("2030-01-02T03:04:05Z"), "production");
  REQUIRE(parsed.ok());
  const auto& c = parsed->profiles.at("production");
  CHECK(c.access_token == kAccess);
  CHECK(c.refresh_token == kRefresh);
  CHECK(c.user_id == "u-42");
  CHECK(c.user_email == "user@example.com");
  // And the store keeps it (a keyring item or the file store round-trips through these).
  auto back = agentd::store::parse_credentials(agentd::store::serialize_profile(c), "p");
  REQUIRE(back.ok());
  CHECK(back->profiles.at("p").user_id == "u-42");
}
