// Shared by the client integration tests: random secrets, credentials files in both shapes, and
// checks that never print a secret.
#pragma once

#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/agent_fixture.hpp"

namespace clienttest {

using testsupport::AgentFixture;
using testsupport::Env;
using testsupport::RunResult;

inline constexpr const char* kFarFuture = "2099-01-01T00:00:00Z";

inline std::string random_hex(std::size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += kHex[rng() % 16];
  return out;
}

struct Secrets {
  std::string access = "flx_at_" + random_hex(32);
  std::string refresh = "flx_refresh_" + random_hex(32);
};

// The single-profile shape of CONTRACT.md's credentials file.
inline std::string single_shape(const Secrets& s, const std::string& expires_at = kFarFuture) {
  return nlohmann::json{{"access_token", s.access}, {"refresh_token", s.refresh}, {"expires_at", expires_at},
                        {"user_email", "user@example.com"}}
      .dump();
}

// The multi-profile shape.
inline std::string multi_shape(const Secrets& production, const Secrets& staging) {
  nlohmann::json doc = {
      {"default_profile", "production"},
      {"profiles",
       {{"production", {{"access_token", production.access}, {"refresh_token", production.refresh},
                        {"expires_at", kFarFuture}, {"api_endpoint", "https://api.fluxloop.ai"}}},
        {"staging", {{"access_token", staging.access}, {"refresh_token", staging.refresh},
                     {"expires_at", kFarFuture}, {"api_endpoint", "https://api-staging.fluxloop.ai"}}}}}};
  return doc.dump();
}

inline std::string write_creds(AgentFixture& f, const std::string& name, const std::string& content) {
  const std::string path = f.dir() + "/" + name;
  testsupport::write_file(path, content, 0600);
  return path;
}

inline bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Fails the test, without printing the secret, if `text` holds it.
inline void check_no_secret(const std::string& text, const std::string& secret, const char* where) {
  INFO("an unmasked secret appeared in " << where);
  CHECK_FALSE(contains(text, secret));
}

inline std::string dirname_of(const std::string& path) { return std::filesystem::path(path).parent_path().string(); }

// True when `pid` has exited (gone, or a zombie waiting for a reaper that is not us).
inline bool process_gone(pid_t pid) {
  std::string stat = testsupport::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// Ends an agent the test started indirectly (autostart) if the test fails before stopping it.
struct AgentReaper {
  pid_t pid = 0;
  ~AgentReaper() {
    if (pid <= 0 || process_gone(pid)) return;
    ::kill(pid, SIGTERM);
    if (!testsupport::eventually([&] { return process_gone(pid); }, std::chrono::seconds(5))) ::kill(pid, SIGKILL);
  }
};

}  // namespace clienttest
