// Store test helpers: drive an awaitable to completion; set an environment variable for one scope.
#pragma once

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace storetest {

// Runs `task` on a fresh io_context until it completes; rethrows what it threw.
template <typename T>
T run_coro(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return future.get();
}

// For coroutines that want the executor as an argument (select_store).
template <typename T>
T run_coro(const std::function<boost::asio::awaitable<T>(boost::asio::any_io_executor)>& make) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, make(io.get_executor()), boost::asio::use_future);
  io.run();
  return future.get();
}

// Sets (or, with nullopt, unsets) one environment variable and restores it on destruction.
// Only for tests that run no other thread reading the environment at the same time.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace storetest
