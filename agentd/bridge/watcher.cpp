#include "agentd/bridge/watcher.hpp"

#include <limits.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>

namespace agentd::bridge {
namespace {

namespace asio = boost::asio;

// The name's own events, plus the directory's end (then the watch is gone and must be re-made).
constexpr std::uint32_t kNameEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM;
constexpr std::uint32_t kSelfEvents = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED;
// Room for many events per read (each is a header plus a name of at most NAME_MAX + 1 bytes).
constexpr std::size_t kReadBuffer = 16 * (sizeof(inotify_event) + NAME_MAX + 1);

}  // namespace

struct Watcher::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, std::string dir, std::string n, Handler h)
      : executor(std::move(ex)), directory(std::move(dir)), name(std::move(n)), handler(std::move(h)) {}

  asio::any_io_executor executor;
  std::string directory;
  std::string name;
  Handler handler;
  std::optional<asio::posix::stream_descriptor> descriptor;
  std::uint64_t generation = 0;  // bumped by stop(): completions of an older watch are ignored

  void arm() {
    auto self = shared_from_this();
    const auto armed = generation;
    descriptor->async_wait(asio::posix::descriptor_base::wait_read, [self, armed](boost::system::error_code ec) {
      if (ec || armed != self->generation || !self->descriptor) return;
      self->drain(armed);
      if (armed == self->generation && self->descriptor) self->arm();
    });
  }

  // Reads every queued event, then reports those about our name, in order.
  void drain(std::uint64_t armed) {
    std::vector<FileEvent> events;
    alignas(inotify_event) char buffer[kReadBuffer];
    for (;;) {
      const ssize_t n = ::read(descriptor->native_handle(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: drained
      for (std::size_t at = 0; at + sizeof(inotify_event) <= static_cast<std::size_t>(n);) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        at += sizeof(inotify_event) + event->len;
        if (event->mask & IN_Q_OVERFLOW) {
          events.push_back(FileEvent::overflow);
        } else if (event->mask & kSelfEvents) {
          events.push_back(FileEvent::lost);
        } else if (event->len > 0 && name == event->name) {
          if (event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) events.push_back(FileEvent::written);
          else if (event->mask & (IN_DELETE | IN_MOVED_FROM)) events.push_back(FileEvent::removed);
        }
      }
    }
    for (FileEvent event : events) {
      if (event == FileEvent::lost) close();  // the kernel ended the watch; the handler may start a new one
      handler(event);
      if (armed != generation && event != FileEvent::lost) return;  // stopped by the handler
      if (event == FileEvent::lost) return;
    }
  }

  void close() {
    ++generation;
    if (descriptor) {
      boost::system::error_code ignored;
      descriptor->close(ignored);
      descriptor.reset();
    }
  }
};

Watcher::Watcher(asio::any_io_executor executor, std::string directory, std::string name, Handler handler)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(directory), std::move(name), std::move(handler))) {}

Watcher::~Watcher() { stop(); }

proto::Status Watcher::start() {
  if (impl_->descriptor) return proto::Ok{};
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return proto::Error{proto::ErrorCode::store_error, std::string("cannot start inotify: ") + std::strerror(errno)};
  if (::inotify_add_watch(fd, impl_->directory.c_str(), kNameEvents | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW) < 0) {
    const int error = errno;
    ::close(fd);
    return proto::Error{proto::ErrorCode::store_error,
                        "cannot watch " + impl_->directory + ": " + std::strerror(error)};
  }
  ++impl_->generation;
  impl_->descriptor.emplace(impl_->executor, fd);
  impl_->arm();
  return proto::Ok{};
}

void Watcher::stop() { impl_->close(); }

bool Watcher::watching() const { return impl_->descriptor.has_value(); }

}  // namespace agentd::bridge
