#include "agentd/daemon/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

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

}  // namespace

void setup_logging() {
  // Multi-threaded sink: the secret store's blocking calls run on worker threads and may log.
  auto logger = std::make_shared<spdlog::logger>("fluxloop-agentd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
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
