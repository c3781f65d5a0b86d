// config.json (agentd/config): parsed from a file as the agent does at start-up and on every
// configuration change. A load that succeeds must survive save + load unchanged.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agentd/config/config.hpp"
#include "fuzz/check.hpp"

namespace {

// A private directory on tmpfs when there is one: every input is written there, then loaded.
const std::string& work_dir() {
  static const std::string dir = [] {
    std::string pattern = (::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + std::string("/fluxloop-fuzz-XXXXXX");
    if (!::mkdtemp(pattern.data())) std::abort();
    return pattern;
  }();
  return dir;
}

void write_all(const std::string& path, const std::uint8_t* data, std::size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FUZZ_CHECK(fd >= 0);
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    FUZZ_CHECK(n > 0);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = work_dir() + "/config.json";
  const std::string output = work_dir() + "/saved.json";
  write_all(input, data, size);
  auto loaded = agentd::config::load(input);
  if (!loaded) {
    FUZZ_CHECK(fuzz::printable_message(loaded.error().message));
    return 0;
  }
  FUZZ_CHECK(agentd::config::save(output, *loaded).ok());
  auto again = agentd::config::load(output);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *loaded);
  return 0;
}
