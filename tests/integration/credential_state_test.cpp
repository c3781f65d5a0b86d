// Issue 10 items 15 and 14: what the agent holds stays consistent under races and store failures.
// Logout forgets before it revokes (a refresh landing during logout re-saves nothing); numbers from
// the wire are bounded; a refresh is never sent while the store cannot keep its result.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>

#include <nlohmann/json.hpp>

#include "proto/frame.hpp"
#include "tests/integration/lifecycle_common.hpp"

using namespace lifecycle;  // NOLINT(google-build-using-namespace): the helpers of this suite

namespace {

// The profile is in neither the agent nor its store.
void check_forgotten(AgentFixture& f) {
  CHECK(f.client({"auth", "token", "--profile", kProfile}).exit_code == 3);
  CHECK_FALSE(contains(f.client({"auth", "status", "--json"}).out, kProfile));
  const json stored = credentials_file(f);
  CHECK_FALSE(stored.is_discarded());
  CHECK_FALSE(stored.value("profiles", json::object()).contains(kProfile));
}

}  // namespace

TEST_CASE("state: a refresh asked for while logout revokes sends nothing and re-saves nothing") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  // The revocation is slow: logout is busy revoking while another terminal asks for a refresh.
  p.add_fault({{"kind", "delay"}, {"path_prefix", "/oauth/revoke"}, {"delay_ms", 3000}, {"count", 2}});
  auto logout = std::async(std::launch::async, [&] { return testsupport::auth_logout(f, kProfile); });
  REQUIRE(testsupport::eventually([&] { return p.stats()["faults_injected"].get<int>() >= 1; }, 10s));
  const auto refreshes_before = p.stats()["refreshes"].get<int>();

  auto refreshed = testsupport::auth_refresh(f, kProfile);
  CHECK(refreshed.exit_code == 3);  // nothing to refresh: the profile was forgotten first
  auto logged_out = logout.get();
  CHECK_MESSAGE(logged_out.exit_code == 0, logged_out.err);
  CHECK(p.stats()["refreshes"].get<int>() == refreshes_before);
  check_forgotten(f);
  CHECK(p.stats()["valid_refresh_tokens"] == 0);
}

TEST_CASE("state: logout during a slow refresh revokes the rotated tokens and leaves nothing behind") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  p.add_fault({{"kind", "delay"}, {"path_prefix", "/oauth/token"}, {"delay_ms", 2000}});
  auto refreshing = std::async(std::launch::async, [&] { return testsupport::auth_refresh(f, kProfile); });
  REQUIRE(testsupport::eventually([&] { return p.stats()["faults_injected"].get<int>() >= 1; }, 10s));

  auto logged_out = testsupport::auth_logout(f, kProfile);
  CHECK_MESSAGE(logged_out.exit_code == 0, logged_out.err);
  refreshing.get();
  check_forgotten(f);
  // The refresh that landed during logout rotated the grant; logout revoked what it rotated to.
  CHECK(p.stats()["refreshes_succeeded"] == 1);
  CHECK(p.stats()["valid_refresh_tokens"] == 0);
  CHECK(p.stats()["active_grants"] == 0);
  // Nothing comes back after a restart.
  REQUIRE(f.stop() == 0);
  f.start();
  check_forgotten(f);
}

TEST_CASE("state: a raw min_valid of 1e10 is refused, not answered with a token") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  const std::string body = std::string(R"({"v":1,"id":7,"op":"get_token","profile":")") + kProfile +
                           R"(","min_valid":10000000000})";
  auto reply = testsupport::agent_exchange(f.socket(), proto::frame(body), 15s);
  REQUIRE(reply.ok());
  const json answer = json::parse(*reply, nullptr, false);
  REQUIRE_FALSE(answer.is_discarded());
  CHECK(answer.value("ok", true) == false);
  CHECK_FALSE(contains(*reply, "\"token\""));
  CHECK(contains(*reply, "min_valid"));
  CHECK(f.agent().running());
}

namespace {

// Makes a directory immutable (chattr +i: even root cannot create files in it) for its lifetime.
// available() is false where the file system or the capabilities do not allow it.
class Immutable {
 public:
  explicit Immutable(std::string dir) : dir_(std::move(dir)) {
    set_ = testsupport::run({"/usr/bin/chattr", "+i", dir_}, testsupport::base_env("/")).exit_code == 0;
  }
  ~Immutable() { release(); }
  void release() {
    if (set_) testsupport::run({"/usr/bin/chattr", "-i", dir_}, testsupport::base_env("/"));
    set_ = false;
  }
  bool available() const { return set_; }

 private:
  std::string dir_;
  bool set_ = false;
};

}  // namespace

TEST_CASE("state: no refresh is sent while the store cannot keep its result, so a restart never replays a spent token") {
  PlatformFixture p({"--quiet"});
  AgentFixture f(p.agent_env());
  f.start();
  import_profile(p, f);
  p.reset_stats();
  {
    Immutable frozen(f.home());  // the file store replaces credentials.json by rename in FLUXLOOP_HOME
    if (!frozen.available()) {
      MESSAGE("chattr +i is not available here: skipped");
      return;
    }
    auto refreshed = testsupport::auth_refresh(f, kProfile);
    CHECK(refreshed.exit_code == 1);
    CHECK(contains(refreshed.err, "cannot keep new tokens"));
    CHECK(p.stats()["refreshes"] == 0);
    const json status = testsupport::profile_status(f, kProfile);
    CHECK(contains(status.value("last_error", ""), "cannot keep new tokens"));
  }
  // Writable again: a restarted agent refreshes with the token it has on disk, which is still live.
  REQUIRE(f.stop() == 0);
  f.start();
  auto refreshed = testsupport::auth_refresh(f, kProfile);
  CHECK_MESSAGE(refreshed.exit_code == 0, refreshed.err);
  CHECK(p.stats()["refresh_token_reuse"] == 0);
  CHECK(p.stats()["refreshes_succeeded"] == 1);
  CHECK(token_works(p, token_of(f)));
}
