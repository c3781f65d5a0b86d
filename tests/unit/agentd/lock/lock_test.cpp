// The agent's lock and lifetime building blocks, in-process: durations, the passphrase verifier and
// lock state machine, the deadline sweeper, and the api_key_file check.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "agentd/lock/api_key_file.hpp"
#include "agentd/lock/gate.hpp"
#include "agentd/lock/lifetime.hpp"
#include "agentd/lock/passphrase_lock.hpp"
#include "agentd/tokens/clock.hpp"
#include "tests/support/process.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  auto future = asio::co_spawn(io, std::move(work), asio::use_future);
  io.restart();
  io.run();
  return future.get();
}

}  // namespace

TEST_CASE("lock: DURATION parsing for --lifetime") {
  using agentd::lock::parse_duration;
  CHECK(parse_duration("90s") == 90s);
  CHECK(parse_duration("5m") == 300s);
  CHECK(parse_duration("8h") == 8h);
  CHECK(parse_duration("7d") == std::chrono::seconds(7 * 86400));
  CHECK(parse_duration("300") == 300s);
  for (const char* bad : {"", "0", "0s", "-5s", "+5s", "5x", "h", "1.5h", "5 h", "367d", "99999999999999999999"}) {
    CHECK_MESSAGE(!parse_duration(bad), bad);
  }
}

TEST_CASE("lock: the shorter of the agent's and the profile's lifetime applies") {
  using agentd::lock::effective_lifetime;
  CHECK_FALSE(effective_lifetime(0, 0));
  CHECK(effective_lifetime(60, 0) == 60s);
  CHECK(effective_lifetime(0, 30) == 30s);
  CHECK(effective_lifetime(60, 30) == 30s);
  CHECK(effective_lifetime(20, 30) == 20s);
}

TEST_CASE("lock: the verifier accepts the passphrase only, with a fresh salt each time") {
  auto a = agentd::lock::make_verifier("correct horse");
  auto b = agentd::lock::make_verifier("correct horse");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(agentd::lock::verify(*a, "correct horse"));
  CHECK_FALSE(agentd::lock::verify(*a, "correct hors"));
  CHECK_FALSE(agentd::lock::verify(*a, "correct horse "));
  CHECK_FALSE(agentd::lock::verify(*a, ""));
  CHECK(a->salt != b->salt);
  CHECK(a->hash != b->hash);
}

TEST_CASE("lock: lock, refuse a second lock, refuse a wrong passphrase after a delay, unlock") {
  asio::io_context io;
  agentd::lock::PassphraseLock lock(io.get_executor());
  CHECK_FALSE(lock.locked());
  CHECK(run(io, lock.unlock("x")).error().code == proto::ErrorCode::invalid_argument);  // not locked
  CHECK(run(io, lock.lock("")).error().code == proto::ErrorCode::invalid_argument);
  CHECK(run(io, lock.lock(std::string(agentd::lock::kMaxPassphraseBytes + 1, 'a'))).error().code ==
        proto::ErrorCode::invalid_argument);
  CHECK_FALSE(lock.locked());

  REQUIRE(run(io, lock.lock("s3cret pass")).ok());
  CHECK(lock.locked());
  auto again = run(io, lock.lock("other"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message.find("already locked") != std::string::npos);

  const auto before = std::chrono::steady_clock::now();
  auto wrong = run(io, lock.unlock("s3cret Pass"));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == proto::ErrorCode::permission_denied);
  CHECK(std::chrono::steady_clock::now() - before >= 1s);
  CHECK(lock.locked());

  REQUIRE(run(io, lock.unlock("s3cret pass")).ok());
  CHECK_FALSE(lock.locked());
}

TEST_CASE("lock: every request is classified, the secret-serving ones are refused while locked") {
  using namespace agentd::lock;
  static_assert(kServesSecret<proto::GetToken> && kServesSecret<proto::ApiRequest> && kServesSecret<proto::ApiKeyCreate>);
  static_assert(kSafeWhileLocked<proto::AuthRefresh> && kSafeWhileLocked<proto::AgentUnlock> && kSafeWhileLocked<proto::Redact>);
  static_assert(kChangesConfig<proto::ProfileAdd> && kChangesConfig<proto::ProfileRemove> && kChangesConfig<proto::ConfigSet>);
  static_assert(!kSafeWhileLocked<proto::ProfileAdd> && !kSafeWhileLocked<proto::ConfigSet>);
  static_assert(AllClassified<proto::Request>::value);
  CHECK(true);
}

TEST_CASE("lock: the sweeper drops what is due at once and erases it, later deadlines wait") {
  asio::io_context io;
  std::vector<std::string> dropped, erased;
  agentd::lock::Sweeper sweeper(io.get_executor(),
                                {.drop = [&](const std::string& p) { dropped.push_back(p); },
                                 .erase = [&](const std::string& p) -> asio::awaitable<void> {
                                   erased.push_back(p);
                                   co_return;
                                 }});
  const auto now = std::chrono::system_clock::now();
  sweeper.arm("past", agentd::tokens::format_rfc3339(now - 5s));
  sweeper.arm("future", agentd::tokens::format_rfc3339(now + 1h));
  sweeper.arm("none", "");
  sweeper.arm("garbage", "not a time");
  run(io, sweeper.sweep_now());
  CHECK(dropped == std::vector<std::string>{"past"});
  CHECK(erased == std::vector<std::string>{"past"});
  run(io, sweeper.sweep_now());
  CHECK(dropped.size() == 1);  // forgotten once

  // The timer loop fires at a deadline about a second away.
  sweeper.arm("soon", agentd::tokens::format_rfc3339(std::chrono::system_clock::now() + 1s));
  sweeper.start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  io.restart();
  while (erased.size() < 2 && std::chrono::steady_clock::now() < deadline) io.run_for(50ms);
  sweeper.stop();
  io.run_for(50ms);
  CHECK(erased == std::vector<std::string>{"past", "soon"});
}

TEST_CASE("lock: api_key_file must be absolute, a regular file of ours, chmod 600") {
  testsupport::TempDir dir;
  const std::string path = dir.path() + "/key";
  testsupport::write_file(path, "flx_api_abc\n", 0600);
  CHECK(agentd::lock::validate_api_key_file(path).ok());
  CHECK_FALSE(agentd::lock::validate_api_key_file("relative/key").ok());
  CHECK_FALSE(agentd::lock::validate_api_key_file(dir.path() + "/missing").ok());
  CHECK_FALSE(agentd::lock::validate_api_key_file(dir.path()).ok());
  ::chmod(path.c_str(), 0644);
  auto refused = agentd::lock::validate_api_key_file(path);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("chmod 600") != std::string::npos);
  CHECK(refused.error().message.find("flx_api_abc") == std::string::npos);
}
