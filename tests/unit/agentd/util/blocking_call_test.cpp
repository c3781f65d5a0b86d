#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "agentd/util/blocking_call.hpp"
#include "tests/unit/agentd/store/store_test_helpers.hpp"

// Suite "concurrency": the TSan stage of scripts/test.sh runs these (ctest -L concurrency).
using agentd::util::BlockingRunner;
using storetest::run_coro;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// Holds a worker call until the test opens it: no guessing with sleeps about when the call returns.
struct Gate {
  std::promise<void> promise;
  std::shared_future<void> opened = promise.get_future().share();
  bool open_ = false;
  void open() {
    if (!open_) promise.set_value();
    open_ = true;
  }
  ~Gate() { open(); }  // never leave a worker blocked on a dead test
};

template <typename F>
bool eventually(F predicate, std::chrono::milliseconds limit = 5s) {
  auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

}  // namespace

TEST_CASE("blocking runner: a call that finishes returns its value or its error" * doctest::test_suite("concurrency")) {
  BlockingRunner runner("the test service");
  auto value = run_coro(runner.run<int>([] { return proto::Result<int>(42); }, 2s));
  REQUIRE(value.ok());
  CHECK(*value == 42);

  auto error = run_coro(runner.run<int>([] { return proto::Result<int>(proto::ErrorCode::no_such_profile, "nope"); }, 2s));
  REQUIRE_FALSE(error.ok());
  CHECK(error.error().code == proto::ErrorCode::no_such_profile);
  CHECK(error.error().message == "nope");

  // The function runs on another thread than the caller's.
  auto caller = std::this_thread::get_id();
  auto other = run_coro(runner.run<bool>([caller] { return proto::Result<bool>(std::this_thread::get_id() != caller); }, 2s));
  REQUIRE(other.ok());
  CHECK(*other);

  for (int i = 0; i < 200; ++i) {  // many calls: nothing leaks or wedges
    auto r = run_coro(runner.run<int>([i] { return proto::Result<int>(i); }, 2s));
    REQUIRE(r.ok());
    CHECK(*r == i);
  }
}

TEST_CASE("blocking runner: a throwing call is an internal error and the runner goes on" * doctest::test_suite("concurrency")) {
  BlockingRunner runner("the test service");
  auto thrown = run_coro(runner.run<int>([]() -> proto::Result<int> { throw std::runtime_error("boom"); }, 2s));
  REQUIRE_FALSE(thrown.ok());
  CHECK(thrown.error().code == proto::ErrorCode::internal);
  CHECK(run_coro(runner.run<int>([] { return proto::Result<int>(1); }, 2s)).ok());
}

TEST_CASE("blocking runner: a call past its deadline times out promptly and calls meanwhile are refused at once" * doctest::test_suite("concurrency")) {
  BlockingRunner runner("the test service", proto::ErrorCode::store_error, "; try the file");
  Gate gate;
  auto late_finished = std::make_shared<std::atomic<bool>>(false);

  auto start = Clock::now();
  auto stuck = run_coro(runner.run<int>(
      [opened = gate.opened, late_finished] {
        opened.wait();
        *late_finished = true;
        return proto::Result<int>(7);
      },
      200ms));
  auto took = Clock::now() - start;
  REQUIRE_FALSE(stuck.ok());
  CHECK(stuck.error().code == proto::ErrorCode::timeout);
  CHECK(stuck.error().message == "the test service did not answer within 200 ms; try the file");
  CHECK(took >= 200ms);
  CHECK(took < 1s);
  CHECK(runner.stuck());

  start = Clock::now();
  std::atomic<bool> second_ran{false};
  auto refused = run_coro(runner.run<int>(
      [&second_ran] {
        second_ran = true;
        return proto::Result<int>(1);
      },
      5s));
  CHECK(Clock::now() - start < 100ms);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == proto::ErrorCode::store_error);
  CHECK(refused.error().message.find("the test service is not answering") != std::string::npos);

  // The stuck call comes back: its late result is dropped, and the runner serves again.
  gate.open();
  CHECK(eventually([&] { return late_finished->load() && !runner.stuck(); }));
  auto after = run_coro(runner.run<int>([] { return proto::Result<int>(3); }, 2s));
  REQUIRE(after.ok());
  CHECK(*after == 3);
  CHECK_FALSE(second_ran.load());
}

TEST_CASE("blocking runner: a call abandoned while queued never runs" * doctest::test_suite("concurrency")) {
  BlockingRunner runner("the test service");
  Gate gate;
  std::atomic<bool> queued_ran{false};
  boost::asio::io_context io;

  auto first = boost::asio::co_spawn(
      io, runner.run<int>([opened = gate.opened] { opened.wait(); return proto::Result<int>(1); }, 10s),
      boost::asio::use_future);
  std::optional<proto::Result<int>> second;
  boost::asio::co_spawn(io,
                        runner.run<int>([&queued_ran] { queued_ran = true; return proto::Result<int>(2); }, 100ms),
                        [&](std::exception_ptr, proto::Result<int> r) {
                          second = std::move(r);
                          gate.open();  // only now let the first call finish
                        });
  io.run();
  REQUIRE(second.has_value());
  REQUIRE_FALSE(second->ok());
  CHECK(second->error().code == proto::ErrorCode::timeout);
  auto first_result = first.get();
  REQUIRE(first_result.ok());
  CHECK(*first_result == 1);
  CHECK_FALSE(runner.stuck());  // the running call was never abandoned

  // A later call runs after the abandoned one would have: by then the worker has skipped it.
  REQUIRE(run_coro(runner.run<int>([] { return proto::Result<int>(3); }, 2s)).ok());
  CHECK_FALSE(queued_ran.load());
}

TEST_CASE("blocking runner: destroying it while a call is stuck does not wait for that call" * doctest::test_suite("concurrency")) {
  Gate gate;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  auto start = Clock::now();
  {
    BlockingRunner runner("the test service");
    auto r = run_coro(runner.run<int>(
        [opened = gate.opened, finished] {
          opened.wait();
          *finished = true;
          return proto::Result<int>(1);
        },
        50ms));
    CHECK(r.error().code == proto::ErrorCode::timeout);
  }
  CHECK(Clock::now() - start < 1s);
  gate.open();  // the detached worker finishes on its own
  CHECK(eventually([&] { return finished->load(); }));
}

TEST_CASE("blocking runner: an io_context destroyed mid-call is never touched by the late worker" * doctest::test_suite("concurrency")) {
  BlockingRunner runner("the test service");
  Gate gate;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  {
    boost::asio::io_context io;
    boost::asio::co_spawn(io,
                          runner.run<int>(
                              [opened = gate.opened, finished] {
                                opened.wait();
                                *finished = true;
                                return proto::Result<int>(1);
                              },
                              10s),
                          boost::asio::detached);
    io.run_for(50ms);
  }
  gate.open();
  CHECK(eventually([&] { return finished->load() && !runner.stuck(); }));
  auto r = run_coro(runner.run<int>([] { return proto::Result<int>(5); }, 2s));
  REQUIRE(r.ok());
  CHECK(*r == 5);
}
