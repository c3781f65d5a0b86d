#include "bench/load.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <thread>

#include "proto/frame.hpp"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxEvents = 256;
constexpr int kPollMs = 10;                  // how late a worker may notice the end of a timed run
constexpr std::size_t kReadChunk = 64 * 1024;

struct Connection {
  int index = 0;
  int fd = -1;
  std::string request;
  std::string in;
  std::size_t sent = 0;
  Clock::time_point started;
  long done = 0;
  bool active = false;
  bool want_write = false;
};

struct Shared {
  const LoadPlan& plan;
  const Checker& check;
  Clock::time_point t0;  // set by the barrier's completion, when every connection is open
};

struct WorkerResult {
  std::vector<std::uint32_t> latency_ns;
  std::map<std::string, long> outcomes;
  long io_errors = 0;
  long unanswered = 0;
  Clock::time_point last_reply{};
};

int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), std::min(path.size(), sizeof(addr.sun_path) - 1));
  // Blocking connect: with a full backlog it waits instead of failing; non-blocking afterwards.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 ||
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class Worker {
 public:
  Worker(Shared& shared, std::vector<Connection> conns) : s_(shared), conns_(std::move(conns)) {}

  // Connects every connection (before the start barrier).
  void connect_all() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    for (std::uint32_t i = 0; i < conns_.size(); ++i) open(i);
  }

  void run() {
    chunk_.resize(kReadChunk);
    for (std::uint32_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].active) send_request(i, Clock::now());
    }
    const auto& plan = s_.plan;
    const bool timed = plan.requests == 0;
    const auto end = s_.t0 + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(timed ? plan.warmup + plan.seconds : plan.timeout));
    win_start_ = s_.t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(plan.warmup));
    win_end_ = end;
    if (!timed) win_start_ = s_.t0;
    epoll_event events[kMaxEvents];
    while (Clock::now() < end && (timed || pending() > 0)) {
      int n = epoll_wait(epfd_, events, kMaxEvents, kPollMs);
      for (int k = 0; k < n; ++k) {
        std::uint32_t i = events[k].data.u32;
        if (!conns_[i].active) continue;
        if (events[k].events & EPOLLOUT) flush(i);
        if (conns_[i].active && (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(i);
      }
    }
    if (!timed) result.unanswered = pending();
    for (auto& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
    ::close(epfd_);
  }

  WorkerResult result;

 private:
  long pending() const {
    long n = 0;
    for (const auto& c : conns_) n += c.active ? 1 : 0;
    return n;
  }

  void open(std::uint32_t i) {
    Connection& c = conns_[i];
    c.fd = connect_unix(s_.plan.socket);
    c.active = c.fd >= 0;
    c.want_write = false;
    if (!c.active) {
      ++result.io_errors;
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  void fail(std::uint32_t i) {
    Connection& c = conns_[i];
    ::close(c.fd);
    c.fd = -1;
    c.active = false;
    ++result.io_errors;
  }

  void send_request(std::uint32_t i, Clock::time_point started) {
    Connection& c = conns_[i];
    c.started = started;
    c.sent = 0;
    c.in.clear();
    flush(i);
  }

  void flush(std::uint32_t i) {
    Connection& c = conns_[i];
    while (c.sent < c.request.size()) {
      ssize_t n = ::send(c.fd, c.request.data() + c.sent, c.request.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) return fail(i);
      c.sent += static_cast<std::size_t>(n);
    }
    bool want = c.sent < c.request.size();
    if (want != c.want_write) {
      epoll_event ev{};
      ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
      ev.data.u32 = i;
      epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
      c.want_write = want;
    }
  }

  void on_readable(std::uint32_t i) {
    Connection& c = conns_[i];
    ssize_t r = ::read(c.fd, chunk_.data(), chunk_.size());
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) return fail(i);
    c.in.append(chunk_.data(), static_cast<std::size_t>(r));
    if (c.in.size() < proto::kHeaderSize) return;
    const auto* p = reinterpret_cast<const unsigned char*>(c.in.data());
    std::size_t len = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
    if (len == 0 || len > proto::kMaxFrame) return fail(i);
    if (c.in.size() < proto::kHeaderSize + len) return;
    if (c.in.size() > proto::kHeaderSize + len) return fail(i);  // one request in flight: one reply

    const auto now = Clock::now();
    if (now >= win_start_ && now <= win_end_) {
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count();
      result.latency_ns.push_back(static_cast<std::uint32_t>(std::min<long long>(ns, UINT32_MAX)));
    }
    result.last_reply = now;
    ++result.outcomes[s_.check(c.index, c.request, std::string_view(c.in).substr(proto::kHeaderSize))];
    ++c.done;
    const bool more = s_.plan.requests == 0 ? now < win_end_ : c.done < s_.plan.requests;
    if (!more) {
      ::close(c.fd);
      c.fd = -1;
      c.active = false;
      return;
    }
    if (s_.plan.reconnect) {
      ::close(c.fd);
      const auto started = Clock::now();
      open(i);
      if (!c.active) return;
      send_request(i, started);
    } else {
      send_request(i, Clock::now());
    }
  }

  Shared& s_;
  std::vector<Connection> conns_;
  int epfd_ = -1;
  std::string chunk_;
  Clock::time_point win_start_, win_end_;
};

}  // namespace

double percentile_us(const std::vector<std::uint32_t>& sorted_ns, double q) {
  if (sorted_ns.empty()) return 0;
  auto idx = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted_ns.size()))) ;
  idx = std::clamp<std::size_t>(idx, 1, sorted_ns.size()) - 1;
  return sorted_ns[idx] / 1000.0;
}

LoadReport run_load(const LoadPlan& plan, const FrameMaker& make_frame, const Checker& check,
                    const WindowHook& hook) {
  Shared shared{plan, check, {}};
  const int threads = std::max(1, std::min(plan.threads, plan.clients));
  std::vector<std::vector<Connection>> split(threads);
  for (int i = 0; i < plan.clients; ++i) {
    Connection c;
    c.index = i;
    c.request = make_frame(i);
    split[i % threads].push_back(std::move(c));
  }
  std::vector<Worker> workers;
  workers.reserve(threads);
  for (auto& conns : split) workers.emplace_back(shared, std::move(conns));

  // Every worker connects, then all start sending at the same moment (t0).
  std::barrier start(threads + 1, [&shared]() noexcept { shared.t0 = Clock::now(); });
  std::vector<std::thread> pool;
  for (auto& w : workers) {
    pool.emplace_back([&w, &start] {
      w.connect_all();
      start.arrive_and_wait();
      w.run();
    });
  }
  start.arrive_and_wait();
  const bool timed = plan.requests == 0;
  if (hook && timed) {
    std::this_thread::sleep_until(shared.t0 + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(plan.warmup)));
    hook(true);
    std::this_thread::sleep_until(shared.t0 + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(plan.warmup + plan.seconds)));
    hook(false);
  } else if (hook) {
    hook(true);
  }
  for (auto& t : pool) t.join();
  if (hook && !timed) hook(false);

  LoadReport report;
  Clock::time_point last = shared.t0;
  for (auto& w : workers) {
    auto& r = w.result;
    report.latency_ns.insert(report.latency_ns.end(), r.latency_ns.begin(), r.latency_ns.end());
    for (auto& [k, v] : r.outcomes) report.outcomes[k] += v;
    report.io_errors += r.io_errors;
    report.unanswered += r.unanswered;
    last = std::max(last, r.last_reply);
  }
  std::sort(report.latency_ns.begin(), report.latency_ns.end());
  report.window_seconds = timed ? plan.seconds : std::chrono::duration<double>(last - shared.t0).count();
  return report;
}

}  // namespace bench
