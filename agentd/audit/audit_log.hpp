// The audit log: one JSON line per request in FLUXLOOP_HOME/audit.log (docs/audit.md), buffered in
// memory so the hot path pays no write syscall, size-bounded and rotated (audit.log.1 … .N).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agentd/util/unique_fd.hpp"

namespace agentd::audit {

inline constexpr std::string_view kLogName = "audit.log";
inline constexpr std::uint64_t kMaxLogBytes = 1024 * 1024;  // a file past this is rotated
inline constexpr int kKeptLogs = 3;                         // audit.log.1 … audit.log.3 are kept
inline constexpr std::size_t kFlushBytes = 16 * 1024;       // buffered bytes that trigger a write at once
inline constexpr std::size_t kMaxFieldBytes = 256;          // longer profile/exe values are cut (untrusted input)

// One audited request. Every field is non-secret by construction: the caller passes a masked key,
// never a bearer value.
struct Record {
  std::chrono::system_clock::time_point time;
  pid_t pid = 0;
  uid_t uid = 0;
  std::string_view exe;      // /proc/PID/exe read at accept time; empty when unreadable
  std::string_view op;
  std::string_view profile;  // profile name or masked key; may be empty
  std::string_view outcome;  // "ok" or an error code
  std::uint64_t count = 0;   // > 0: a summary line standing for this many requests not written one by one
};

// "2024-11-02T10:00:00.123Z": RFC 3339, UTC, milliseconds.
std::string format_time(std::chrono::system_clock::time_point when);
// Appends `record` to `out` as one newline-terminated JSON object. Strings are escaped; bytes that are
// not valid UTF-8 become U+FFFD, so every line parses.
void format_record(std::string& out, const Record& record);

struct LogLimits {
  std::uint64_t max_bytes = kMaxLogBytes;
  int kept = kKeptLogs;
  std::size_t flush_bytes = kFlushBytes;
};

// A buffered, rotating JSON-lines file, mode 0600. Single-threaded (the agent's io thread).
// Write errors never propagate: they become one warning (repeated only after a success) and the
// buffered lines are dropped, so memory stays bounded.
class AuditLog {
 public:
  explicit AuditLog(std::string path, LogLimits limits = {});
  ~AuditLog();  // flushes
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Buffers one line; writes at once when the buffer passes limits.flush_bytes. Returns true when the
  // buffer was empty before the call (the caller then arms its flush timer).
  bool append(const Record& record);
  // Writes everything buffered, rotating first when the file would pass limits.max_bytes.
  void flush();
  std::size_t buffered() const noexcept { return buffer_.size(); }
  const std::string& path() const noexcept { return path_; }
  // Lines lost to write errors since start (for tests and status).
  std::uint64_t dropped_bytes() const noexcept { return dropped_; }

 private:
  bool open();
  void rotate();
  void failed(const char* what, int error);

  std::string path_;
  LogLimits limits_;
  std::string buffer_;
  util::UniqueFd fd_;
  std::uint64_t size_ = 0;  // of the open file
  std::uint64_t dropped_ = 0;
  bool warned_ = false;
};

}  // namespace agentd::audit
