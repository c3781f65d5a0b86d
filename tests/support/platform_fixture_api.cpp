// PlatformFixture helpers for the platform's own surface (/api, CLI connect): counters, approval of
// CLI-connect logins, minted credentials. Declared in platform_fixture.hpp.
#include <stdexcept>
#include <thread>

#include "tests/support/platform_fixture.hpp"

namespace testsupport {
namespace {
constexpr auto kPollEvery = std::chrono::milliseconds(50);
}  // namespace

std::uint64_t PlatformFixture::counter(const std::string& name) {
  auto all = stats();
  if (!all.contains(name) || !all[name].is_number_unsigned())
    throw std::runtime_error("the emulator has no counter named " + name);
  return all[name].get<std::uint64_t>();
}

std::string PlatformFixture::wait_for_cli_connect_login(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string newest;
    for (const auto& login : cli_connect_logins().at("logins"))
      if (login.at("status") == "pending") newest = login.at("user_code").get<std::string>();
    // The emulator lists logins unordered; with several pending any is "newest" enough for tests,
    // which start one login at a time.
    if (!newest.empty()) return newest;
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("no CLI-connect login became pending in time");
    std::this_thread::sleep_for(kPollEvery);
  }
}

void PlatformFixture::approve_cli_connect(const std::string& user_code, const std::string& email) {
  nlohmann::json body = nlohmann::json::object();
  if (!user_code.empty()) body["user_code"] = user_code;
  if (!email.empty()) body["email"] = email;
  admin("POST", "/_emulator/cli-connect/approve", body);
}

void PlatformFixture::deny_cli_connect(const std::string& user_code) {
  nlohmann::json body = nlohmann::json::object();
  if (!user_code.empty()) body["user_code"] = user_code;
  admin("POST", "/_emulator/cli-connect/deny", body);
}

void PlatformFixture::expire_cli_connect(const std::string& user_code) {
  nlohmann::json body = nlohmann::json::object();
  if (!user_code.empty()) body["user_code"] = user_code;
  admin("POST", "/_emulator/cli-connect/expire", body);
}

nlohmann::json PlatformFixture::mint_cli_credential(const std::string& email) {
  nlohmann::json body = nlohmann::json::object();
  if (!email.empty()) body["email"] = email;
  return admin("POST", "/_emulator/cli-connect/tokens", body);
}

}  // namespace testsupport
