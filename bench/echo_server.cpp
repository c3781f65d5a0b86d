// fluxloop-bench-echo: the baseline of bench/concurrency.sh. A bare Unix-socket server that speaks the
// agent's framing (4-byte big-endian length + body, proto/frame.hpp) and answers every frame with the
// same bytes. One thread, level-triggered epoll, no JSON: the fastest a request/reply server on this
// socket can be, so "agent round trips/s ÷ echo round trips/s" is the agent's own overhead.
//
//   fluxloop-bench-echo SOCKET_PATH      # prints "listening on PATH"; SIGTERM/SIGINT: unlink, exit 0
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>

#include "proto/frame.hpp"

namespace {

constexpr int kBacklog = 1024;         // bench clients connect all at once
constexpr int kMaxEvents = 256;
constexpr std::size_t kReadChunk = 64 * 1024;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Connection {
  std::string in;        // bytes received and not yet echoed as a whole frame
  std::string out;       // frames waiting to be written
  std::size_t out_off = 0;
  bool want_write = false;
};

void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
}

// Writes what the socket takes; false when the peer is gone.
bool flush(int epfd, int fd, Connection& c) {
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return false;
    c.out_off += static_cast<std::size_t>(n);
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  }
  bool want = !c.out.empty();
  if (want != c.want_write) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0) return false;
    c.want_write = want;
  }
  return true;
}

// Moves every complete frame of c.in to c.out; false on a frame the agent would refuse too.
bool take_frames(Connection& c) {
  std::size_t pos = 0;
  while (c.in.size() - pos >= proto::kHeaderSize) {
    const auto* p = reinterpret_cast<const unsigned char*>(c.in.data() + pos);
    std::uint32_t len = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    if (len == 0 || len > proto::kMaxFrame) return false;
    if (c.in.size() - pos < proto::kHeaderSize + len) break;
    c.out.append(c.in, pos, proto::kHeaderSize + len);
    pos += proto::kHeaderSize + len;
  }
  c.in.erase(0, pos);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fluxloop-bench-echo SOCKET_PATH\n");
    return 2;
  }
  const std::string path = argv[1];
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    std::fprintf(stderr, "fluxloop-bench-echo: socket path too long\n");
    return 2;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  struct sigaction sa{};
  sa.sa_handler = on_signal;  // no SA_RESTART: epoll_wait returns EINTR and the loop ends
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  ::unlink(path.c_str());
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) die("bind");
  if (::listen(lfd, kBacklog) < 0) die("listen");
  set_nonblocking(lfd);

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.fd = lfd;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl");

  std::printf("listening on %s\n", path.c_str());
  std::fflush(stdout);

  std::unordered_map<int, Connection> conns;
  std::string chunk(kReadChunk, '\0');
  epoll_event events[kMaxEvents];
  auto drop = [&](int fd) {
    ::close(fd);  // also leaves the epoll set
    conns.erase(fd);
  };

  while (!g_stop) {
    int n = epoll_wait(epfd, events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int cfd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;  // EAGAIN: drained; EMFILE etc.: the next wake-up retries
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = cfd;
          if (epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev) < 0) {
            ::close(cfd);
            continue;
          }
          conns.emplace(cfd, Connection{});
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Connection& c = it->second;
      bool alive = true;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r = ::read(fd, chunk.data(), chunk.size());
        if (r > 0) {
          c.in.append(chunk.data(), static_cast<std::size_t>(r));
          alive = take_frames(c);
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          alive = false;
        }
      }
      if (alive) alive = flush(epfd, fd, c);
      if (!alive) drop(fd);
    }
  }
  for (auto& [fd, c] : conns) ::close(fd);
  ::close(lfd);
  ::unlink(path.c_str());
  return 0;
}
