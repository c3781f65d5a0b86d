// Secure memory for secrets: its pages are marked "do not dump" (VmFlags dd in /proc/self/smaps).
#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "proto/secure_memory.hpp"
#include "tests/unit/proto/smaps.hpp"

TEST_CASE("secure memory: allocations are page-aligned and marked not to be dumped") {
  void* memory = proto::secure_allocate(100);
  REQUIRE(memory != nullptr);
  CHECK(reinterpret_cast<std::uintptr_t>(memory) % 4096 == 0);
  const auto flags = smaps::vm_flags_of(memory);
  CHECK_MESSAGE(smaps::has_flag(flags, "dd"), "VmFlags: " << flags);
  proto::secure_deallocate(memory, 100);

  // An ordinary heap string is not marked: the check can tell the difference.
  std::string plain(4096, 'x');
  CHECK_FALSE(smaps::has_flag(smaps::vm_flags_of(plain.data()), "dd"));
}

TEST_CASE("secure memory: a SecretBuffer keeps even a short secret on do-not-dump pages") {
  proto::SecretBuffer shorty(std::string("pw"));
  CHECK(shorty.text == "pw");
  CHECK(smaps::has_flag(smaps::vm_flags_of(shorty.text.data()), "dd"));
  proto::SecretBuffer token(std::string(300, 't'));
  CHECK(smaps::has_flag(smaps::vm_flags_of(token.text.data()), "dd"));
  token.text.append(20000, 'u');  // growing reallocates: still secure
  CHECK(smaps::has_flag(smaps::vm_flags_of(token.text.data()), "dd"));
  proto::wipe(token.text);
  CHECK(token.text.empty());
}
