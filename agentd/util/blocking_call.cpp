#include "agentd/util/blocking_call.hpp"

#include <sys/eventfd.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agentd/util/unique_fd.hpp"

namespace agentd::util {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Calls waiting behind a running one. Past this the caller is told to try again (ErrorCode::busy):
// callers are few (one store), so hitting it means something upstream is looping.
constexpr std::size_t kMaxQueued = 32;

struct Job {
  enum class State { queued, running, done, threw, abandoned, cancelled };
  std::function<void()> fn;
  State state = State::queued;
  // The worker signals completion by writing to this eventfd: a plain syscall on a descriptor the job
  // owns, so a late worker touches nothing of the (possibly destroyed) awaiting side.
  UniqueFd event;
};

void signal_job(Job& job) noexcept {
  const std::uint64_t one = 1;
  // An eventfd write of 1 cannot block or fail short of counter overflow, which one write cannot cause.
  [[maybe_unused]] auto written = ::write(job.event.get(), &one, sizeof one);
}

std::string describe(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
  return std::to_string(duration.count()) + " ms";
}

}  // namespace

struct BlockingRunner::Core {
  std::string service;
  proto::ErrorCode unavailable_code;
  std::string advice;
  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::shared_ptr<Job>> queue;
  std::shared_ptr<Job> running;
  bool running_abandoned = false;  // the running call's caller gave up: the worker may be stuck
  Clock::time_point running_since;
  bool stopping = false;
};

namespace {

void work(const std::shared_ptr<BlockingRunner::Core>& core) {
  std::unique_lock lock(core->mutex);
  for (;;) {
    core->wake.wait(lock, [&] { return core->stopping || !core->queue.empty(); });
    if (core->queue.empty()) return;  // stopping, nothing left
    auto job = std::move(core->queue.front());
    core->queue.pop_front();
    if (job->state != Job::State::queued) continue;  // abandoned before it started: never run it
    job->state = Job::State::running;
    core->running = job;
    core->running_since = Clock::now();
    auto fn = std::move(job->fn);
    lock.unlock();

    bool threw = false;
    try {
      fn();
    } catch (...) {
      threw = true;
    }
    fn = nullptr;  // release what the call captured (perhaps secrets, whose destructors wipe) right away

    lock.lock();
    core->running.reset();
    core->running_abandoned = false;
    if (job->state == Job::State::running) {
      job->state = threw ? Job::State::threw : Job::State::done;
      signal_job(*job);
    }
  }
}

// Owned by the awaiting coroutine frame. Settles the job exactly once: with its outcome, or by
// abandoning it when the deadline passed or the frame is destroyed (io_context shut down mid-call).
class CallGuard {
 public:
  CallGuard(std::shared_ptr<BlockingRunner::Core> core, std::shared_ptr<Job> job)
      : core_(std::move(core)), job_(std::move(job)) {}
  CallGuard(const CallGuard&) = delete;
  CallGuard& operator=(const CallGuard&) = delete;
  ~CallGuard() {
    if (!settled_) (void)settle(std::chrono::milliseconds(0));
  }

  proto::Status settle(std::chrono::milliseconds deadline) {
    settled_ = true;
    std::lock_guard lock(core_->mutex);
    switch (job_->state) {
      case Job::State::done:
        return proto::Ok{};
      case Job::State::threw:
        return proto::Error{proto::ErrorCode::internal, "a call to " + core_->service + " failed unexpectedly"};
      case Job::State::cancelled:
        return proto::Error{core_->unavailable_code, "the worker calling " + core_->service + " has shut down"};
      case Job::State::running:
        core_->running_abandoned = true;
        [[fallthrough]];
      case Job::State::queued:
      case Job::State::abandoned:
        job_->state = Job::State::abandoned;
        return proto::Error{proto::ErrorCode::timeout, core_->service + " did not answer within " + describe(deadline) + core_->advice};
    }
    return proto::Error{proto::ErrorCode::internal, "unreachable"};
  }

 private:
  std::shared_ptr<BlockingRunner::Core> core_;
  std::shared_ptr<Job> job_;
  bool settled_ = false;
};

// Queues the job unless the runner cannot take it; the refusal otherwise.
std::optional<proto::Error> enqueue(BlockingRunner::Core& core, const std::shared_ptr<Job>& job) {
  std::lock_guard lock(core.mutex);
  if (core.stopping) return proto::Error{core.unavailable_code, "the worker calling " + core.service + " has shut down"};
  if (core.running_abandoned) {
    // Queueing behind a call that may never return would only turn every later call into a timeout.
    auto waited = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - core.running_since);
    return proto::Error{core.unavailable_code, core.service + " is not answering (an earlier call has been waiting for " +
                                                   std::to_string(waited.count()) + " s)" + core.advice};
  }
  if (core.queue.size() >= kMaxQueued) {
    return proto::Error{proto::ErrorCode::busy, "too many calls are waiting for " + core.service};
  }
  core.queue.push_back(job);
  return std::nullopt;
}

}  // namespace

BlockingRunner::BlockingRunner(std::string service, proto::ErrorCode unavailable_code, std::string advice)
    : core_(std::make_shared<Core>()) {
  core_->service = std::move(service);
  core_->unavailable_code = unavailable_code;
  core_->advice = std::move(advice);
  // The thread holds its own reference: it may outlive this object when a call never returns.
  worker_ = std::thread([core = core_] { work(core); });
}

BlockingRunner::~BlockingRunner() {
  bool busy = false;
  {
    std::lock_guard lock(core_->mutex);
    core_->stopping = true;
    for (auto& job : core_->queue) {
      if (job->state == Job::State::queued) {
        job->state = Job::State::cancelled;
        signal_job(*job);
      }
    }
    core_->queue.clear();
    busy = core_->running != nullptr;
  }
  core_->wake.notify_all();
  // Joining a worker stuck in a call that never returns would hang the agent's shutdown: detach it.
  if (busy) {
    worker_.detach();
  } else {
    worker_.join();
  }
}

bool BlockingRunner::stuck() const {
  std::lock_guard lock(core_->mutex);
  return core_->running_abandoned;
}

asio::awaitable<proto::Status> BlockingRunner::run_erased(std::function<void()> fn,
                                                          std::chrono::milliseconds deadline) {
  auto core = core_;  // the frame keeps the core alive, whatever happens to *this
  auto executor = co_await asio::this_coro::executor;

  UniqueFd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event) {
    co_return proto::Error{proto::ErrorCode::internal, std::string("cannot create an eventfd: ") + std::strerror(errno)};
  }
  UniqueFd watched(::fcntl(event.get(), F_DUPFD_CLOEXEC, 0));
  if (!watched) {
    co_return proto::Error{proto::ErrorCode::internal, std::string("cannot duplicate an eventfd: ") + std::strerror(errno)};
  }
  asio::posix::stream_descriptor watch(executor, watched.release());

  auto job = std::make_shared<Job>();
  job->fn = std::move(fn);
  job->event = std::move(event);
  if (auto refused = enqueue(*core, job)) co_return std::move(*refused);
  core->wake.notify_one();

  CallGuard guard(core, job);
  asio::steady_timer timer(executor, deadline);
  using namespace asio::experimental::awaitable_operators;
  // Whichever comes first; the other wait is cancelled. The outcome is read under the lock either way,
  // so a result that lands just as the timer fires is still used.
  co_await (watch.async_wait(asio::posix::descriptor_base::wait_read, asio::as_tuple(asio::use_awaitable)) ||
            timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  co_return guard.settle(deadline);
}

}  // namespace agentd::util
