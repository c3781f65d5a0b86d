// Running blocking functions (libsecret) off the I/O thread, with a deadline after which they are abandoned.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "proto/result.hpp"

namespace agentd::util {

// One dedicated worker thread running submitted functions one at a time, in order. The caller awaits
// the result on its own executor; past the deadline it gets ErrorCode::timeout and the late result is
// dropped. The worker never touches an Asio object, so a call stuck forever (libsecret on a silent bus)
// can neither block the caller nor outlive-and-corrupt the caller's io_context.
// While a call is stuck past its deadline, new calls fail at once with `unavailable_code` instead of
// queueing behind it; once the stuck call returns, the runner serves again.
class BlockingRunner {
 public:
  // `service` names what the calls talk to, for messages ("the Secret Service"); `advice` is appended
  // to the runner's own errors (timeout, not answering), e.g. "; or run … with FLUXLOOP_STORE=file".
  explicit BlockingRunner(std::string service, proto::ErrorCode unavailable_code = proto::ErrorCode::store_error,
                          std::string advice = {});
  // Joins the worker when idle; when a call is still running (maybe stuck forever) the worker is
  // detached: it owns nothing of this object and exits after that call. Queued calls fail at once.
  ~BlockingRunner();
  BlockingRunner(const BlockingRunner&) = delete;
  BlockingRunner& operator=(const BlockingRunner&) = delete;

  // Runs `fn` on the worker and returns its result, or timeout after `deadline` (counted from this
  // call, queueing included). A call abandoned before it started never runs. `fn` must own what it
  // uses (capture by value): it may still be running after the caller has gone.
  template <typename T>
  boost::asio::awaitable<proto::Result<T>> run(std::function<proto::Result<T>()> fn,
                                               std::chrono::milliseconds deadline) {
    auto slot = std::make_shared<std::optional<proto::Result<T>>>();
    // g++ 12: a named local, not a temporary in the co_await (docs/development.md "g++ 12 and coroutines").
    std::function<void()> job = [fn = std::move(fn), slot]() { slot->emplace(fn()); };
    proto::Status status = co_await run_erased(std::move(job), deadline);
    if (!status.ok()) co_return std::move(status).error();
    co_return std::move(**slot);
  }

  // Runs `fn` and reports only whether it ran to completion in time (see run()).
  boost::asio::awaitable<proto::Status> run_erased(std::function<void()> fn, std::chrono::milliseconds deadline);

  // True while an abandoned call still occupies the worker (new calls are refused).
  bool stuck() const;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
  std::thread worker_;
};

}  // namespace agentd::util
