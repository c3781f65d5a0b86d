#include "agentd/helpers/channel.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <deque>
#include <map>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "agentd/helpers/wire.hpp"
#include "agentd/util/json_wipe.hpp"
#include "proto/mask.hpp"

namespace agentd::helpers {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

std::string describe(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
  return std::to_string(duration.count()) + " ms";
}

// One call waiting for its reply: the timer is its deadline and is cancelled when the reply lands.
struct Pending {
  explicit Pending(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;
  std::optional<proto::Result<nlohmann::json>> result;
};

// One running helper process. Shared by the reader, the writer and the reaper, which may outlive
// the channel's interest in it.
struct Instance {
  Instance(const asio::any_io_executor& executor, Child child)
      : pid(child.pid), socket(executor), pidfd(executor, child.pidfd.release()), idle(executor) {
    socket.assign(asio::local::stream_protocol(), child.socket.release());
  }
  pid_t pid;
  asio::local::stream_protocol::socket socket;
  asio::posix::stream_descriptor pidfd;
  asio::steady_timer idle;
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending;
  std::deque<std::string> outbox;
  bool writing = false;
  bool closed = false;  // no new calls: dying, dead or told to exit
  bool reaped = false;
};

std::set<Channel::State*>& registry() {
  static std::set<Channel::State*> states;
  return states;
}

}  // namespace

struct Channel::State : std::enable_shared_from_this<Channel::State> {
  State(asio::any_io_executor ex, ChannelOptions opts) : executor(std::move(ex)), options(std::move(opts)) {
    registry().insert(this);
  }
  ~State() { registry().erase(this); }

  asio::any_io_executor executor;
  ChannelOptions options;
  std::shared_ptr<Instance> current;
  std::vector<std::shared_ptr<Instance>> exiting;  // closed, not yet reaped
  std::uint64_t next_id = 0;

  proto::Error error(std::string what) const { return {options.failure_code, options.service + " " + what + options.advice}; }

  proto::Result<std::shared_ptr<Instance>> running(const std::vector<std::string>& environment);
  void close(std::shared_ptr<Instance> instance, std::string_view why, bool kill);  // by value: it resets `current`
  void watch_exit(const std::shared_ptr<Instance>& instance);
  void arm_idle(const std::shared_ptr<Instance>& instance);
  void send(const std::shared_ptr<Instance>& instance, std::string frame);
  void stop_now();
};

namespace {

asio::awaitable<void> write_loop(std::shared_ptr<Channel::State> state, std::shared_ptr<Instance> instance) {
  while (!instance->outbox.empty() && !instance->closed) {
    std::string& frame = instance->outbox.front();
    auto [ec, written] = co_await asio::async_write(instance->socket, asio::buffer(frame), kUseTuple);
    proto::wipe(frame);
    instance->outbox.pop_front();
    if (ec) {
      state->close(instance, "stopped while reading a request: " + ec.message(), true);
      break;
    }
  }
  for (auto& frame : instance->outbox) proto::wipe(frame);
  instance->writing = false;
}

asio::awaitable<void> read_loop(std::shared_ptr<Channel::State> state, std::shared_ptr<Instance> instance) {
  std::string body;
  while (!instance->closed) {
    std::array<unsigned char, 4> header{};
    auto [header_ec, header_read] = co_await asio::async_read(instance->socket, asio::buffer(header), kUseTuple);
    if (header_ec) break;
    auto length = frame_length(header);
    if (!length) {
      state->close(instance, "sent a malformed reply", true);
      co_return;
    }
    body.resize(*length);
    auto [body_ec, body_read] = co_await asio::async_read(instance->socket, asio::buffer(body), kUseTuple);
    if (body_ec) break;
    auto reply = nlohmann::json::parse(body, nullptr, false);
    proto::wipe(body);
    if (reply.is_discarded() || !reply.is_object() || !reply.contains("id") || !reply["id"].is_number_unsigned()) {
      state->close(instance, "sent a malformed reply", true);
      co_return;
    }
    auto found = instance->pending.find(reply["id"].get<std::uint64_t>());
    if (found == instance->pending.end()) {
      util::wipe_json(reply);
      continue;  // its caller gave up (deadline with Unanswered::keep)
    }
    found->second->result.emplace(std::move(reply));
    found->second->wake.cancel();
    instance->pending.erase(found);
    state->arm_idle(instance);
  }
  if (!instance->closed) state->close(instance, "exited before answering", false);
}

}  // namespace

proto::Result<std::shared_ptr<Instance>> Channel::State::running(const std::vector<std::string>& environment) {
  if (current && !current->closed) return current;
  auto child = spawn(options.program, environment);
  if (!child) return error("cannot be started: " + child.error().message);
  current = std::make_shared<Instance>(executor, std::move(*child));
  spdlog::debug("started {} (pid {})", program_name(options.program), current->pid);
  watch_exit(current);
  asio::co_spawn(executor, read_loop(shared_from_this(), current), asio::detached);
  return current;
}

// Reaps the helper as soon as it exits (the pidfd turns readable): no zombie is left behind.
void Channel::State::watch_exit(const std::shared_ptr<Instance>& instance) {
  std::weak_ptr<State> weak = weak_from_this();
  instance->pidfd.async_wait(asio::posix::descriptor_base::wait_read, [weak, instance](error_code ec) {
    if (ec || instance->reaped) return;
    while (::waitpid(instance->pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    instance->reaped = true;
    error_code ignored;
    instance->pidfd.close(ignored);
    if (auto state = weak.lock()) {
      if (!instance->closed) state->close(instance, "exited before answering", false);
      std::erase(state->exiting, instance);
    }
  });
}

void Channel::State::close(std::shared_ptr<Instance> instance, std::string_view why, bool kill) {
  if (instance->closed) return;
  instance->closed = true;
  if (current == instance) current.reset();
  exiting.push_back(instance);
  if (kill && !instance->reaped) {
    ::syscall(SYS_pidfd_send_signal, instance->pidfd.native_handle(), SIGKILL, nullptr, 0);  // reaped by watch_exit
  }
  error_code ignored;
  instance->idle.cancel();
  // Closing our end makes a live helper read EOF and exit.
  instance->socket.close(ignored);
  auto pending = std::move(instance->pending);
  instance->pending.clear();
  for (auto& [id, call] : pending) {
    call->result.emplace(error(std::string(why)));
    call->wake.cancel();
  }
}

void Channel::State::arm_idle(const std::shared_ptr<Instance>& instance) {
  if (instance->closed || !instance->pending.empty()) return;
  instance->idle.expires_after(options.idle);
  std::weak_ptr<State> weak = weak_from_this();
  std::weak_ptr<Instance> weak_instance = instance;
  instance->idle.async_wait([weak, weak_instance](error_code ec) {
    auto state = weak.lock();
    auto idle = weak_instance.lock();
    if (ec || !state || !idle || !idle->pending.empty()) return;
    spdlog::debug("{} idle: telling it to exit", program_name(state->options.program));
    state->close(idle, "was stopped", false);
  });
}

void Channel::State::send(const std::shared_ptr<Instance>& instance, std::string frame) {
  instance->outbox.push_back(std::move(frame));
  if (instance->writing) return;
  instance->writing = true;
  asio::co_spawn(executor, write_loop(shared_from_this(), instance), asio::detached);
}

void Channel::State::stop_now() {
  if (current) close(current, "was stopped: the agent is shutting down", true);
  for (auto& instance : exiting) {
    if (!instance->reaped) kill_and_reap(instance->pid, instance->pidfd.native_handle());
    instance->reaped = true;
    error_code ignored;
    instance->pidfd.close(ignored);
  }
  exiting.clear();
}

Channel::Channel(asio::any_io_executor executor, ChannelOptions options)
    : state_(std::make_shared<State>(std::move(executor), std::move(options))) {}

Channel::~Channel() { state_->stop_now(); }

void Channel::stop() { state_->stop_now(); }

std::optional<pid_t> Channel::pid() const {
  if (state_->current && !state_->current->closed) return state_->current->pid;
  return std::nullopt;
}

asio::awaitable<proto::Result<nlohmann::json>> Channel::call(nlohmann::json request, std::chrono::milliseconds deadline,
                                                             std::vector<std::string> environment, Unanswered unanswered) {
  auto state = state_;  // the frame keeps the state alive, whatever happens to *this
  util::JsonWiper wipe_request{request};
  auto started = state->running(environment);
  if (!started) co_return std::move(started).error();
  auto instance = std::move(*started);
  const std::uint64_t id = ++state->next_id;
  request["id"] = id;
  auto pending = std::make_shared<Pending>(state->executor);
  pending->wake.expires_after(deadline);
  instance->pending.emplace(id, pending);
  instance->idle.cancel();
  state->send(instance, encode_frame(request));

  co_await pending->wake.async_wait(kUseTuple);
  if (pending->result) co_return std::move(*pending->result);
  instance->pending.erase(id);
  const std::string late = "did not answer within " + describe(deadline);
  if (unanswered == Unanswered::kill) {
    // Whatever holds it (a silent bus) would hold every later call too: start afresh next time.
    spdlog::warn("{} {}: stopping it", program_name(state->options.program), late);
    state->close(instance, late, true);
  } else {
    state->arm_idle(instance);
  }
  co_return state->error(late);
}

void stop_all() {
  for (auto* state : registry()) state->stop_now();
}

}  // namespace agentd::helpers
