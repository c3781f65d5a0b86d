// The keyring store against a real gnome-keyring-daemon (tests/support/with-keyring.sh gives each case
// its own D-Bus session and an unlocked "login" keyring in a throw-away HOME).
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "agentd/store/keyring_store.hpp"
#include "agentd/store/secret_store.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/agentd/store/store_test_helpers.hpp"

using agentd::store::Credentials;
using agentd::store::KeyringStore;
using storetest::run_coro;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kAccess = "flx_keyringaccess_3c4d5e6f7a8b9c0d";
constexpr const char* kRefresh = "flx_refresh_keyringrefresh_1a2b3c4d";

std::string bus() {
  auto address = agentd::store::session_bus_address();
  REQUIRE_MESSAGE(address.has_value(), "run this under tests/support/with-keyring.sh");
  return *address;
}

testsupport::Env child_env() {
  const char* home = std::getenv("HOME");
  return testsupport::base_env(home ? home : "/tmp", {{"DBUS_SESSION_BUS_ADDRESS", bus()}});
}

Credentials make(const std::string& access, const std::string& refresh = kRefresh) {
  Credentials c;
  c.access_token = access;
  c.refresh_token = refresh;
  c.expires_at = "2030-01-01T00:00:00Z";
  c.user_email = "user@example.com";
  c.api_endpoint = "https://api.fluxloop.ai";
  c.issuer = "https://id.fluxloop.ai";
  c.token_endpoint = "https://id.fluxloop.ai/token";
  c.client_id = "fluxloop-cli";
  return c;
}

void lock_keyring() {
  // PLATFORM.md: `secret-tool lock` crashes; the Service.Lock call works.
  auto locked = testsupport::run({"/usr/bin/gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
                                  "--object-path", "/org/freedesktop/secrets", "--method",
                                  "org.freedesktop.Secret.Service.Lock", "['/org/freedesktop/secrets/collection/login']"},
                                 child_env(), {}, 10s);
  REQUIRE_MESSAGE(locked.exit_code == 0, locked.err);
}

void unlock_keyring() {
  // A replacement daemon unlocking the same login keyring (same HOME), as with-keyring.sh does.
  int rc = std::system(
      "printf pw | gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null 2>&1 && "
      "gdbus wait --session --timeout 10 org.freedesktop.secrets");
  REQUIRE(rc == 0);
}

void check_no_secret(const std::string& text) {
  CHECK(text.find("flx_") == std::string::npos);
  CHECK(text.find("keyringaccess") == std::string::npos);
}

}  // namespace

TEST_CASE("keyring store: save load erase round trip with two profiles") {
  KeyringStore store;
  CHECK(store.kind() == proto::StoreKind::keyring);
  auto empty = run_coro(store.load_all());
  REQUIRE_MESSAGE(empty.ok(), empty.error().message);
  CHECK(empty->empty());

  REQUIRE(run_coro(store.save("production", make(kAccess))).ok());
  REQUIRE(run_coro(store.save("staging", make("staging-access", ""))).ok());
  auto both = run_coro(store.load_all());
  REQUIRE_MESSAGE(both.ok(), both.error().message);
  REQUIRE(both->size() == 2);
  CHECK(both->at("production") == make(kAccess));
  CHECK(both->at("staging") == make("staging-access", ""));

  // Saving again replaces the profile's item instead of adding a second one.
  REQUIRE(run_coro(store.save("production", make("rotated-access"))).ok());
  auto replaced = run_coro(store.load_all());
  REQUIRE(replaced.ok());
  CHECK(replaced->size() == 2);
  CHECK(replaced->at("production").access_token == "rotated-access");

  // An independent client sees one item per profile, with our schema, attributes and label.
  auto listed = testsupport::run({"/usr/bin/secret-tool", "search", "--all", "application", "fluxloop-agent"},
                                 child_env(), {}, 10s);
  REQUIRE(listed.exit_code == 0);
  const std::string described = listed.out + listed.err;  // never printed: it holds the secrets
  CHECK(described.find("label = FluxLoop credentials (production)") != std::string::npos);
  CHECK(described.find("label = FluxLoop credentials (staging)") != std::string::npos);
  CHECK(described.find("schema = ai.fluxloop.Agent") != std::string::npos);
  CHECK(described.find("attribute.profile = production") != std::string::npos);
  std::size_t items = 0;
  for (auto at = described.find("label = "); at != std::string::npos; at = described.find("label = ", at + 1)) ++items;
  CHECK(items == 2);

  REQUIRE(run_coro(store.erase("production")).ok());
  CHECK(run_coro(store.erase("production")).ok());  // absent: not an error
  auto left = run_coro(store.load_all());
  REQUIRE(left.ok());
  CHECK(left->size() == 1);
  CHECK(left->contains("staging"));

  // A second store (a restarted agent) sees the same state.
  KeyringStore again;
  auto seen = run_coro(again.load_all());
  REQUIRE(seen.ok());
  CHECK(seen->size() == 1);
}

TEST_CASE("keyring store: select_store probes the Secret Service and picks the keyring") {
  storetest::ScopedEnv runtime("XDG_RUNTIME_DIR", std::nullopt);
  for (auto [forced, recorded] : {std::pair{"", ""}, std::pair{"", "keyring"}, std::pair{"keyring", ""}}) {
    CAPTURE(forced);
    CAPTURE(recorded);
    auto start = Clock::now();
    auto chosen = run_coro<proto::Result<agentd::store::StoreSelection>>([&](boost::asio::any_io_executor ex) {
      return agentd::store::select_store(ex, "/unused-home", forced, recorded);
    });
    CHECK(Clock::now() - start < agentd::store::kKeyringProbeDeadline);
    REQUIRE_MESSAGE(chosen.ok(), chosen.error().message);
    CHECK(chosen->store->kind() == proto::StoreKind::keyring);
    CHECK_FALSE(chosen->detail.empty());
    // The chosen store is usable as returned.
    REQUIRE(run_coro(chosen->store->save("p", make(kAccess))).ok());
    REQUIRE(run_coro(chosen->store->load_all())->contains("p"));
  }
}

TEST_CASE("keyring store: a locked keyring is a clear error at once and never an empty store and unlocking restores") {
  KeyringStore store;
  REQUIRE(run_coro(store.save("production", make(kAccess))).ok());
  lock_keyring();

  auto start = Clock::now();
  auto loaded = run_coro(store.load_all());
  auto took = Clock::now() - start;
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().code == proto::ErrorCode::store_error);
  CHECK(loaded.error().message.find("the keyring is locked") != std::string::npos);
  CHECK(loaded.error().message.find("FLUXLOOP_STORE=file") != std::string::npos);
  check_no_secret(loaded.error().message);
  CHECK(took < 2s);  // answered by the daemon, not by our deadline

  start = Clock::now();
  auto saved = run_coro(store.save("saved-while-locked", make("staging-access")));
  CHECK(Clock::now() - start < 2s);
  REQUIRE_FALSE(saved.ok());
  CHECK(saved.error().message.find("the keyring is locked") != std::string::npos);
  auto erased = run_coro(store.erase("production"));
  REQUIRE_FALSE(erased.ok());
  CHECK(erased.error().message.find("the keyring is locked") != std::string::npos);

  unlock_keyring();
  // The replacement daemon takes the bus name over asynchronously: allow it a moment.
  proto::Result<agentd::store::ProfileCredentials> restored = proto::Error{};
  for (auto until = Clock::now() + 10s; Clock::now() < until; std::this_thread::sleep_for(100ms)) {
    restored = run_coro(store.load_all());
    if (restored.ok()) break;
  }
  REQUIRE_MESSAGE(restored.ok(), restored.error().message);
  REQUIRE(restored->contains("production"));
  CHECK(restored->at("production").access_token == kAccess);
  CHECK_FALSE(restored->contains("saved-while-locked"));  // the refused write did not land later either
  REQUIRE(run_coro(store.erase("production")).ok());
}

TEST_CASE("keyring store: the calls run in the keyring helper, and a killed helper is replaced by the next call") {
  KeyringStore store;
  CHECK(store.helper_pid() == -1);  // nothing runs before the first call
  REQUIRE(run_coro(store.save("production", make(kAccess))).ok());
  const pid_t helper = store.helper_pid();
  REQUIRE(helper > 0);
  // The secret travelled on the socketpair only: not in the helper's argv or environment.
  for (const auto* part : {"/cmdline", "/environ"}) {
    const std::string text = testsupport::read_file("/proc/" + std::to_string(helper) + part);
    CHECK(text.find("keyringaccess") == std::string::npos);
    CHECK(text.find("keyringrefresh") == std::string::npos);
  }
  CHECK(testsupport::read_file("/proc/" + std::to_string(helper) + "/maps").find("/libsecret") != std::string::npos);
  // This process (the agent's code) does not map libsecret or GLib.
  const std::string ours = testsupport::read_file("/proc/self/maps");
  CHECK(ours.find("/libsecret") == std::string::npos);
  CHECK(ours.find("/libglib") == std::string::npos);

  REQUIRE(::kill(helper, SIGKILL) == 0);
  auto loaded = run_coro(store.load_all());
  REQUIRE_MESSAGE(loaded.ok(), loaded.error().message);
  CHECK(loaded->at("production").access_token == kAccess);
  CHECK(store.helper_pid() > 0);
  CHECK(store.helper_pid() != helper);
  CHECK(::kill(helper, 0) != 0);  // reaped: not even a zombie
  REQUIRE(run_coro(store.erase("production")).ok());
}
