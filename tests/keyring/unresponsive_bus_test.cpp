// A session bus whose socket accepts connections but never says a word: libsecret (GDBus) would wait
// forever in the authentication handshake (PLATFORM.md). The store must answer within its deadline:
// the wedged keyring helper is killed then, and the next call starts a fresh one, which reads the bus
// address anew (libsecret no longer lives in this process, so nothing here stays wedged).
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "agentd/store/keyring_store.hpp"
#include "agentd/store/secret_store.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/agentd/store/store_test_helpers.hpp"

using agentd::store::KeyringStore;
using storetest::run_coro;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Margin over a deadline for scheduling on a loaded 2-core machine.
constexpr auto kSlack = 1500ms;

// Listens on a Unix socket and never accepts or writes: connect() succeeds (the kernel queues it),
// then silence. Closing it on destruction resets the queued connections, which frees stuck workers.
class SilentBus {
 public:
  SilentBus() {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    path_ = dir_.path() + "/bus";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
  }
  ~SilentBus() { ::close(fd_); }
  SilentBus(const SilentBus&) = delete;
  SilentBus& operator=(const SilentBus&) = delete;
  std::string address() const { return "unix:path=" + path_; }

 private:
  testsupport::TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

proto::Result<agentd::store::StoreSelection> choose(const std::string& recorded) {
  return run_coro<proto::Result<agentd::store::StoreSelection>>([&](boost::asio::any_io_executor ex) {
    return agentd::store::select_store(ex, "/unused-home", "", recorded);
  });
}

}  // namespace

TEST_CASE("silent bus: select_store gives up on the probe in time and falls back to the file") {
  SilentBus silent;
  storetest::ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", silent.address());
  auto start = Clock::now();
  auto chosen = choose("");
  auto took = Clock::now() - start;
  CHECK(took >= agentd::store::kKeyringProbeDeadline);
  CHECK(took < agentd::store::kKeyringProbeDeadline + kSlack);
  REQUIRE(chosen.ok());
  CHECK(chosen->store->kind() == proto::StoreKind::file);
  CHECK(chosen->detail.find("did not answer within 2 s") != std::string::npos);
}

TEST_CASE("silent bus: a recorded keyring that does not answer is an error naming the way out") {
  SilentBus silent;
  storetest::ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", silent.address());
  auto start = Clock::now();
  auto chosen = choose("keyring");
  CHECK(Clock::now() - start < agentd::store::kKeyringProbeDeadline + kSlack);
  REQUIRE_FALSE(chosen.ok());
  CHECK(chosen.error().code == proto::ErrorCode::store_error);
  CHECK(chosen.error().message.find("FLUXLOOP_STORE=file") != std::string::npos);
}

TEST_CASE("silent bus: each call costs one deadline, the helper is killed, and a working bus works again at once") {
  const auto deadline = 1000ms;
  KeyringStore store(deadline);
  {
    SilentBus silent;
    storetest::ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", silent.address());
    auto start = Clock::now();
    auto loaded = run_coro(store.load_all());
    auto took = Clock::now() - start;
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().code == proto::ErrorCode::store_error);
    CHECK(loaded.error().message.find("did not answer within 1 s") != std::string::npos);
    CHECK(loaded.error().message.find("FLUXLOOP_STORE=file") != std::string::npos);
    CHECK(took >= deadline);
    CHECK(took < deadline + kSlack);
    CHECK(store.helper_pid() == -1);  // killed and reaped, not abandoned

    // Still silent: the next call starts a fresh helper and is ended at its own deadline, not queued
    // behind a stuck one.
    start = Clock::now();
    auto saved = run_coro(store.save("p", agentd::store::Credentials{}));
    took = Clock::now() - start;
    REQUIRE_FALSE(saved.ok());
    CHECK(saved.error().code == proto::ErrorCode::store_error);
    CHECK(saved.error().message.find("did not answer within 1 s") != std::string::npos);
    CHECK(took < deadline + kSlack);
  }
  // The working bus of this test (with-keyring.sh) again: the next call just works.
  auto loaded = run_coro(store.load_all());
  CHECK_MESSAGE(loaded.ok(), (loaded.ok() ? std::string() : loaded.error().message));
}
