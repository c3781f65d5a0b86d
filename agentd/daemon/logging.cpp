#include "agentd/daemon/logging.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "agentd/util/file_modes.hpp"

namespace agentd::daemon {
namespace {

constexpr const char* kPlainPattern = "%Y-%m-%d %H:%M:%S.%e fluxloop-agentd[%P] %l: %v";
constexpr const char* kJournalPattern = "%*%l: %v";  // journald adds time, pid and unit itself

// "<N>" at the start of a line is how a program on journald's stream gives the priority (sd-daemon(3)).
class JournalPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    int priority = 6;  // info
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: priority = 7; break;
      case spdlog::level::info: priority = 6; break;
      case spdlog::level::warn: priority = 4; break;
      case spdlog::level::err: priority = 3; break;
      case spdlog::level::critical: priority = 2; break;
      default: break;
    }
    const char text[3] = {'<', static_cast<char>('0' + priority), '>'};
    dest.append(text, text + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriority>(); }
};

// JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; it only counts if it is our stderr
// (a child of the service may have had stderr redirected since).
bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  struct stat st{};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) == stream;
}

// Writes each line to stderr (fd 2, so anything else written there lands in the same place) and,
// once rotate() gave it a file path, moves that file aside by size while the agent runs.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void rotate_at(std::string path, std::uint64_t max_bytes) {
    std::lock_guard lock(mutex_);
    path_ = std::move(path);
    max_bytes_ = max_bytes;
    struct stat st{};
    written_ = ::fstat(STDERR_FILENO, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    if (!path_.empty() && written_ > 0 && written_ + line.size() > max_bytes_) rotate();
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(STDERR_FILENO, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // nowhere to report a failing log; the agent keeps serving
      data += n;
      left -= static_cast<std::size_t>(n);
      written_ += static_cast<std::uint64_t>(n);
    }
  }
  void flush_() override {}  // write(2) per line: nothing is buffered

 private:
  // One generation kept, as at start (process.cpp): bounded disk use, recent history survives.
  void rotate() {
    if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0) {
      written_ = 0;  // cannot move it (removed, read-only dir): keep appending, try again a size later
      return;
    }
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, util::kPrivateFileMode);
    if (fd < 0) return;  // stderr stays on the moved file: the lines are kept, just under .1
    ::fchmod(fd, util::kPrivateFileMode);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
    written_ = 0;
  }

  std::string path_;
  std::uint64_t max_bytes_ = kMaxLogFileBytes;
  std::uint64_t written_ = 0;
};

std::shared_ptr<StderrSink>& the_sink() {
  static std::shared_ptr<StderrSink> sink;
  return sink;
}

}  // namespace

void rotate_log_file(const std::string& path, std::uint64_t max_bytes) {
  if (auto& sink = the_sink()) sink->rotate_at(path, max_bytes);
}

void setup_logging() {
  // Multi-threaded sink: the secret store's blocking calls run on worker threads and may log.
  the_sink() = std::make_shared<StderrSink>();
  auto logger = std::make_shared<spdlog::logger>("fluxloop-agentd", the_sink());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (stderr_is_journal()) {
    formatter->add_flag<JournalPriority>('*').set_pattern(kJournalPattern);
  } else {
    formatter->set_pattern(kPlainPattern);
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);  // a log file must be complete if the agent is killed
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace agentd::daemon
