#include "tests/support/platform_cli.hpp"

#include <stdexcept>
#include <thread>

namespace testsupport {
namespace {
constexpr auto kPollEvery = std::chrono::milliseconds(50);

// {"user_code"?, "email"?} without the empty ones.
nlohmann::json login_selector(const std::string& user_code, const std::string& email = {}) {
  nlohmann::json body = nlohmann::json::object();
  if (!user_code.empty()) body["user_code"] = user_code;
  if (!email.empty()) body["email"] = email;
  return body;
}
}  // namespace

Env platform_cli_env(const PlatformFixture& platform) {
  return {{"FLUXLOOP_API_URL", platform.issuer()},
          {"FLUXLOOP_CA_BUNDLE", platform.ca_path()},
          {"SSL_CERT_FILE", platform.ca_path()}};
}

std::uint64_t counter(PlatformFixture& platform, const std::string& name) {
  auto all = platform.stats();
  if (!all.contains(name) || !all[name].is_number_unsigned())
    throw std::runtime_error("the emulator has no counter named " + name);
  return all[name].get<std::uint64_t>();
}

nlohmann::json cli_connect_logins(PlatformFixture& platform) { return platform.admin("GET", "/_emulator/cli-connect"); }

std::string wait_for_cli_connect_login(PlatformFixture& platform, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (const auto& login : cli_connect_logins(platform).at("logins"))
      if (login.at("status") == "pending") return login.at("user_code").get<std::string>();
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("no CLI-connect login became pending in time");
    std::this_thread::sleep_for(kPollEvery);
  }
}

void approve_cli_connect(PlatformFixture& platform, const std::string& user_code, const std::string& email) {
  platform.admin("POST", "/_emulator/cli-connect/approve", login_selector(user_code, email));
}

void deny_cli_connect(PlatformFixture& platform, const std::string& user_code) {
  platform.admin("POST", "/_emulator/cli-connect/deny", login_selector(user_code));
}

void expire_cli_connect(PlatformFixture& platform, const std::string& user_code) {
  platform.admin("POST", "/_emulator/cli-connect/expire", login_selector(user_code));
}

nlohmann::json mint_cli_credential(PlatformFixture& platform, const std::string& email) {
  return platform.admin("POST", "/_emulator/cli-connect/tokens", login_selector({}, email));
}

nlohmann::json platform_projects(PlatformFixture& platform) {
  return platform.admin("GET", "/_emulator/projects").at("projects");
}

nlohmann::json add_platform_project(PlatformFixture& platform, const std::string& name) {
  return platform.admin("POST", "/_emulator/projects", {{"name", name}});
}

}  // namespace testsupport
