#include "agentd/audit/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "agentd/util/file_modes.hpp"

namespace agentd::audit {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629 ranges: no overlongs, no
// surrogates, nothing past U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) low = 0xA0;
    if (c == 0xED) high = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// A JSON string; values are cut at kMaxFieldBytes because profile names in a request are untrusted
// and a log line must stay small.
void append_string(std::string& out, std::string_view s) {
  if (s.size() > kMaxFieldBytes) s = s.substr(0, kMaxFieldBytes);
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_length(s, i);
      if (length == 0) {
        out += kReplacement;
        ++i;
      } else {
        out.append(s.substr(i, length));
        i += length;
      }
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
}

// Writes the time into `text` (at least kTimeBuffer bytes); returns its length. A busy agent audits
// many requests within one millisecond: the text of the last one formatted is reused for those.
constexpr std::size_t kTimeBuffer = 40;
std::size_t write_time(char* text, std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  struct Last {
    milliseconds::rep ms = std::numeric_limits<milliseconds::rep>::min();
    std::size_t size = 0;
    char text[kTimeBuffer] = {};
  };
  thread_local Last last;
  const auto ms = floor<milliseconds>(when);
  if (ms.time_since_epoch().count() == last.ms) {
    std::memcpy(text, last.text, last.size);
    return last.size;
  }
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss time{ms - day};
  const int n = std::snprintf(text, kTimeBuffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  const std::size_t size = n > 0 ? std::min(static_cast<std::size_t>(n), kTimeBuffer - 1) : 0;
  last.ms = ms.time_since_epoch().count();
  last.size = size;
  std::memcpy(last.text, text, size);
  return size;
}

// `exe` as append_string writes it. The requests of one connection, and usually of one program, carry
// the same path: the escaped text of the last one is kept and reused when the path is the same.
void append_exe(std::string& out, std::string_view exe) {
  struct Last {
    std::string raw;
    std::string escaped = "\"\"";
  };
  thread_local Last last;
  if (exe != last.raw) {
    last.raw.assign(exe);
    last.escaped.clear();
    append_string(last.escaped, exe);
  }
  out += last.escaped;
}

// A decimal integer, without a temporary string.
template <typename Integer>
void append_number(std::string& out, Integer value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, ec == std::errc() ? static_cast<std::size_t>(end - digits) : 0);
}

}  // namespace

std::string format_time(std::chrono::system_clock::time_point when) {
  char text[kTimeBuffer];
  return std::string(text, write_time(text, when));
}

void format_record(std::string& out, const Record& record) {
  char time[kTimeBuffer];  // on the stack: the hot path allocates nothing it does not keep
  out += "{\"time\":\"";
  out.append(time, write_time(time, record.time));
  out += "\",\"pid\":";
  append_number(out, record.pid);
  out += ",\"uid\":";
  append_number(out, record.uid);
  out += ",\"exe\":";
  append_exe(out, record.exe);
  out += ",\"op\":";
  append_string(out, record.op);
  out += ",\"profile\":";
  append_string(out, record.profile);
  out += ",\"outcome\":";
  append_string(out, record.outcome);
  if (record.count > 0) {
    out += ",\"count\":";
    append_number(out, record.count);
  }
  out += "}\n";
}

AuditLog::AuditLog(std::string path, LogLimits limits) : path_(std::move(path)), limits_(limits) {
  buffer_.reserve(limits_.flush_bytes * 2);
}

AuditLog::~AuditLog() { flush(); }

bool AuditLog::append(const Record& record) {
  const bool was_empty = buffer_.empty();
  format_record(buffer_, record);
  if (buffer_.size() >= limits_.flush_bytes) flush();
  return was_empty;
}

bool AuditLog::open() {
  // O_NOFOLLOW: a symlink planted at audit.log must not redirect our appends elsewhere.
  util::UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, util::kPrivateFileMode));
  if (!fd) {
    failed("open", errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    failed("stat", errno);
    return false;
  }
  // The log names the programs that use the agent: nobody else may read it.
  if ((st.st_mode & 0777) != util::kPrivateFileMode && ::fchmod(fd.get(), util::kPrivateFileMode) != 0) {
    failed("chmod", errno);
    return false;
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  fd_ = std::move(fd);
  return true;
}

// audit.log.(N-1) -> .N, …, audit.log -> .1; the oldest falls off the end. The oldest is unlinked
// first so that no rename replaces an existing file: on ext4 (auto_da_alloc) a rename over a file
// starts writeback of the renamed one and stalls this thread, the one that serves every client
// (bench/compare_agents.sh, 64 connections, audit.log rotated many times a second: the agent's p99
// went from 1.7 ms, 2.8x the echo server's, to 0.77 ms, 1.0-1.4x; docs/performance.md).
void AuditLog::rotate() {
  fd_.reset();
  if (limits_.kept >= 1) {
    const std::string oldest = path_ + "." + std::to_string(limits_.kept);
    if (::unlink(oldest.c_str()) != 0 && errno != ENOENT) failed("rotate", errno);
  }
  for (int k = limits_.kept; k >= 2; --k) {
    const std::string from = path_ + "." + std::to_string(k - 1);
    const std::string to = path_ + "." + std::to_string(k);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) failed("rotate", errno);
  }
  const int moved = limits_.kept >= 1 ? ::rename(path_.c_str(), (path_ + ".1").c_str()) : ::unlink(path_.c_str());
  if (moved != 0 && errno != ENOENT) failed("rotate", errno);
  open();
}

void AuditLog::failed(const char* what, int error) {
  if (warned_) return;
  warned_ = true;
  spdlog::warn("audit log {}: {} failed: {}; audit lines are being dropped", path_, what, std::strerror(error));
}

void AuditLog::flush() {
  if (buffer_.empty()) return;
  if (!fd_) open();
  if (fd_ && size_ > 0 && size_ + buffer_.size() > limits_.max_bytes) rotate();
  std::size_t written = 0;
  while (fd_ && written < buffer_.size()) {
    const ssize_t n = ::write(fd_.get(), buffer_.data() + written, buffer_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed("write", n < 0 ? errno : EIO);
      fd_.reset();  // reopened on the next flush (the disk may have room again, the file may be back)
      break;
    }
    written += static_cast<std::size_t>(n);
    size_ += static_cast<std::uint64_t>(n);
  }
  if (written < buffer_.size()) {
    dropped_ += buffer_.size() - written;
  } else if (warned_) {
    warned_ = false;
    spdlog::info("audit log {} is written again", path_);
  }
  buffer_.clear();
  // A burst may have grown the buffer; do not keep more than twice the flush size around.
  if (buffer_.capacity() > limits_.flush_bytes * 4) {
    buffer_.shrink_to_fit();
    buffer_.reserve(limits_.flush_bytes * 2);
  }
}

}  // namespace agentd::audit
