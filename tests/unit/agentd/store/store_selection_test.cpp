// select_store without any D-Bus: the choices that must be made without asking libsecret.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

#include "agentd/store/keyring_store.hpp"
#include "agentd/store/secret_store.hpp"
#include "tests/unit/agentd/store/store_test_helpers.hpp"

using agentd::store::select_store;
using agentd::store::StoreSelection;
using storetest::run_coro;
using storetest::ScopedEnv;

namespace {

using Clock = std::chrono::steady_clock;

proto::Result<StoreSelection> choose(const std::string& forced, const std::string& recorded,
                                     const std::string& home = "/nonexistent-fluxloop-home") {
  return run_coro<proto::Result<StoreSelection>>(
      [&](boost::asio::any_io_executor ex) { return select_store(ex, home, forced, recorded); });
}

// No session bus reachable in any way GIO would find one.
struct NoBus {
  ScopedEnv address{"DBUS_SESSION_BUS_ADDRESS", std::nullopt};
  ScopedEnv runtime{"XDG_RUNTIME_DIR", std::nullopt};
};

}  // namespace

TEST_CASE("select_store: an unknown FLUXLOOP_STORE value is an error listing the valid ones") {
  auto chosen = choose("gnome", "");
  REQUIRE_FALSE(chosen.ok());
  CHECK(chosen.error().code == proto::ErrorCode::invalid_argument);
  CHECK(chosen.error().message.find("\"keyring\"") != std::string::npos);
  CHECK(chosen.error().message.find("\"file\"") != std::string::npos);
  CHECK(chosen.error().message.find("gnome") != std::string::npos);

  auto recorded = choose("", "floppy");
  REQUIRE_FALSE(recorded.ok());
  CHECK(recorded.error().code == proto::ErrorCode::invalid_argument);
}

TEST_CASE("select_store: FLUXLOOP_STORE=file and a recorded file choose the file without probing") {
  NoBus nobus;
  auto forced = choose("file", "keyring", "/h");
  REQUIRE(forced.ok());
  CHECK(forced->store->kind() == proto::StoreKind::file);
  CHECK(forced->store->location() == "/h/credentials.json");
  CHECK(forced->detail.find("FLUXLOOP_STORE") != std::string::npos);

  // A recorded file stays the file, even where a bus exists (this address would hang if dialled).
  ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/never-dialled");
  auto recorded = choose("", "file", "/h");
  REQUIRE(recorded.ok());
  CHECK(recorded->store->kind() == proto::StoreKind::file);
  CHECK(recorded->detail == "recorded choice");
}

TEST_CASE("select_store: with no session bus the file is chosen at once without libsecret") {
  NoBus nobus;
  auto start = Clock::now();
  auto chosen = choose("", "", "/h");
  CHECK(Clock::now() - start < std::chrono::milliseconds(200));
  REQUIRE(chosen.ok());
  CHECK(chosen->store->kind() == proto::StoreKind::file);
  CHECK(chosen->detail.find("no D-Bus session bus") != std::string::npos);
  CHECK_FALSE(agentd::store::session_bus_address().has_value());
}

TEST_CASE("select_store: a recorded or forced keyring without a bus is an error and not a silent file") {
  NoBus nobus;
  for (auto [forced, recorded] : {std::pair{"", "keyring"}, std::pair{"keyring", ""}, std::pair{"keyring", "file"}}) {
    CAPTURE(forced);
    CAPTURE(recorded);
    auto chosen = choose(forced, recorded);
    REQUIRE_FALSE(chosen.ok());
    CHECK(chosen.error().code == proto::ErrorCode::store_error);
    CHECK(chosen.error().message.find("FLUXLOOP_STORE=file") != std::string::npos);
  }
}

TEST_CASE("select_store: a bus address that leads nowhere falls back to the file quickly") {
  ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/fluxloop-test-bus");
  auto start = Clock::now();
  auto chosen = choose("", "");
  CHECK(Clock::now() - start < agentd::store::kKeyringProbeDeadline);
  REQUIRE(chosen.ok());
  CHECK(chosen->store->kind() == proto::StoreKind::file);
  CHECK(chosen->detail.find("Secret Service is not usable") != std::string::npos);

  auto recorded = choose("", "keyring");
  REQUIRE_FALSE(recorded.ok());
  CHECK(recorded.error().code == proto::ErrorCode::store_error);
}

TEST_CASE("session_bus_address: DBUS_SESSION_BUS_ADDRESS first and then a bus socket in XDG_RUNTIME_DIR") {
  ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", "unix:path=/x");
  CHECK(agentd::store::session_bus_address() == "unix:path=/x");
  ScopedEnv no_bus("DBUS_SESSION_BUS_ADDRESS", std::nullopt);
  ScopedEnv runtime("XDG_RUNTIME_DIR", std::filesystem::temp_directory_path().string());
  // A directory with no "bus" socket in it: nothing.
  if (!std::filesystem::exists(std::filesystem::temp_directory_path() / "bus")) {
    CHECK_FALSE(agentd::store::session_bus_address().has_value());
  }
}
