// Reading /proc/self/smaps in tests: the VmFlags of the mapping that holds an address.
#pragma once

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace smaps {

// The VmFlags line ("rd wr mr mw me dd ac sd") of the mapping containing `address`; "" when none.
inline std::string vm_flags_of(const void* address) {
  const auto target = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream in("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    unsigned long long start = 0, end = 0;
    char dash = 0;
    std::istringstream header(line);
    if (line.find("VmFlags:") == 0) {
      if (inside) return line.substr(8);
      continue;
    }
    if ((header >> std::hex >> start >> dash >> end) && dash == '-' && line.find(':') > line.find(' ')) {
      inside = target >= start && target < end;
    }
  }
  return {};
}

inline bool has_flag(const std::string& flags, const std::string& flag) {
  std::istringstream words(flags);
  for (std::string word; words >> word;) {
    if (word == flag) return true;
  }
  return false;
}

}  // namespace smaps
