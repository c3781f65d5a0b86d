#include "agentd/daemon/code_pages.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agentd/util/unique_fd.hpp"

namespace agentd::daemon {
namespace {

// /proc/self/smaps of the agent is some 60 KiB (a few dozen mappings); far more means something odd.
constexpr std::size_t kMapsBuffer = 1024 * 1024;

// Why: after start-up the agent's resident memory is mostly file pages it read once (the loader's
// relocation tables, static initialisers, OpenSSL and GLib set-up) plus their fault-around
// neighbours, which the kernel maps up to 64 KiB at a time (docs/performance.md). Pages of a private
// file mapping that nobody wrote are clean copies of the page cache: dropping them costs only a
// minor fault should they be needed again. A mapping with any written (anonymous) page, such as a
// library's relocated RELRO data, is left alone: MADV_DONTNEED would throw the writes away.
struct Mapping {
  std::uintptr_t start = 0;
  std::uintptr_t end = 0;
  bool candidate = false;  // private, not writable, backed by a file
  // Written pages: resident (Anonymous:) and swapped out (Swap:); -1 until its line was read.
  long long anonymous_kib = -1;
  long long swap_kib = -1;
};

long long field_kib(std::string_view line, std::size_t key_length) {
  return std::strtoll(std::string(line.substr(key_length)).c_str(), nullptr, 10);
}

Mapping parse_header(std::string_view line) {
  // "start-end perms offset dev inode path"
  Mapping m;
  const auto dash = line.find('-');
  const auto space = line.find(' ');
  if (dash == std::string_view::npos || space == std::string_view::npos || dash > space) return m;
  const std::string_view perms = line.substr(space + 1, 4);
  m.start = std::strtoull(std::string(line.substr(0, dash)).c_str(), nullptr, 16);
  m.end = std::strtoull(std::string(line.substr(dash + 1, space - dash - 1)).c_str(), nullptr, 16);
  m.candidate = perms.size() == 4 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' &&
                line.find(" /") != std::string_view::npos && m.end > m.start;
  return m;
}

bool drop(const Mapping& m) {
  return ::madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED) == 0;
}

}  // namespace

std::size_t trim_code_pages() noexcept {
  try {
    util::UniqueFd fd(::open("/proc/self/smaps", O_RDONLY | O_CLOEXEC));
    if (!fd) return 0;
    std::string text;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
      if (text.size() > kMapsBuffer) return 0;
    }
    std::size_t trimmed = 0;
    Mapping current;
    std::string_view rest = text;
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      if (!line.empty() && line.find(':') > line.find('-') && line.find(' ') > line.find('-')) {
        current = parse_header(line);  // a mapping's first line: "start-end perms ..."
      } else if (line.substr(0, 10) == "Anonymous:") {
        current.anonymous_kib = field_kib(line, 10);
      } else if (line.substr(0, 5) == "Swap:") {
        current.swap_kib = field_kib(line, 5);
      } else if (line.substr(0, 8) == "VmFlags:" && current.candidate) {
        // The entry's last line. No written page, resident or swapped out: all of it is clean file pages.
        if (current.anonymous_kib == 0 && current.swap_kib == 0 && drop(current)) ++trimmed;
        current.candidate = false;
      }
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    return trimmed;
  } catch (...) {
    return 0;  // out of memory while reading maps: keep the pages, nothing is lost
  }
}

}  // namespace agentd::daemon
