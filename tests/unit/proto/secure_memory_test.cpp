// Secure memory for secrets: its pages are marked "do not dump" (VmFlags dd in /proc/self/smaps).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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

namespace {

bool all_zero(const void* memory, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(memory);
  for (std::size_t i = 0; i < bytes; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("secure memory: the pool hands out size-class blocks on pages marked not to be dumped") {
  for (const std::size_t bytes : {std::size_t{1}, std::size_t{31}, std::size_t{32}, std::size_t{33}, std::size_t{100},
                                  std::size_t{500}, std::size_t{1024}, std::size_t{2000}, std::size_t{2048}}) {
    void* block = proto::secure_pool_allocate(bytes);
    REQUIRE(block != nullptr);
    std::size_t size_class = proto::kSecurePoolMinBlock;
    while (size_class < bytes) size_class <<= 1;
    CHECK_MESSAGE(reinterpret_cast<std::uintptr_t>(block) % size_class == 0, "bytes " << bytes);
    const auto flags = smaps::vm_flags_of(block);
    CHECK_MESSAGE(smaps::has_flag(flags, "dd"), "bytes " << bytes << ", VmFlags: " << flags);
    CHECK(all_zero(block, size_class));  // a block is handed out zeroed
    std::memset(block, 0x5a, size_class);  // the whole class is usable
    proto::secure_pool_deallocate(block, bytes);
  }
  // Past the largest class: a mapping of its own, as secure_allocate gives.
  void* large = proto::secure_pool_allocate(proto::kSecurePoolMaxBlock + 1);
  CHECK(reinterpret_cast<std::uintptr_t>(large) % 4096 == 0);
  CHECK(smaps::has_flag(smaps::vm_flags_of(large), "dd"));
  proto::secure_pool_deallocate(large, proto::kSecurePoolMaxBlock + 1);
}

TEST_CASE("secure memory: the pool zeroes a freed block and reuses it for the same size class") {
  auto* block = static_cast<char*>(proto::secure_pool_allocate(100));  // the 128-byte class
  std::memset(block, 't', 128);
  proto::secure_pool_deallocate(block, 100);
  // The slab stays mapped: the freed block can be read, and it holds no byte of the secret.
  CHECK(all_zero(block, 128));
  // The next request of the class (any size within it) gets the same block back, still zero.
  auto* again = static_cast<char*>(proto::secure_pool_allocate(65));
  CHECK(again == block);
  CHECK(all_zero(again, 128));
  // Another class does not share it.
  void* other = proto::secure_pool_allocate(64);
  CHECK(other != again);
  proto::secure_pool_deallocate(other, 64);
  proto::secure_pool_deallocate(again, 65);
}

TEST_CASE("secure memory: many small secrets share slabs instead of a mapping each") {
  std::vector<void*> blocks;
  for (int i = 0; i < 200; ++i) blocks.push_back(proto::secure_pool_allocate(40));
  std::set<std::uintptr_t> pages;
  for (void* block : blocks) pages.insert(reinterpret_cast<std::uintptr_t>(block) / 4096);
  CHECK(pages.size() < 20);  // 200 × 64 bytes: about 4 pages (a slab or two), not 200 mappings
  for (void* block : blocks) CHECK(smaps::has_flag(smaps::vm_flags_of(block), "dd"));
  for (void* block : blocks) proto::secure_pool_deallocate(block, 40);
}

TEST_CASE("secure memory: worker threads can allocate from the pool at the same time") {
  constexpr int kThreads = 4;
  std::atomic<int> corrupted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &corrupted] {
      std::vector<std::pair<char*, std::size_t>> held;
      for (int i = 0; i < 5000; ++i) {
        const std::size_t bytes = 1 + static_cast<std::size_t>((i * 37 + t * 11) % 3000);
        auto* block = static_cast<char*>(proto::secure_pool_allocate(bytes));
        std::memset(block, 'a' + t, bytes);
        held.emplace_back(block, bytes);
        if (held.size() > 16) {
          auto [old, size] = held.front();
          held.erase(held.begin());
          for (std::size_t k = 0; k < size; ++k) {
            if (old[k] != 'a' + t) {
              ++corrupted;
              break;
            }
          }
          proto::secure_pool_deallocate(old, size);
        }
      }
      for (auto [block, size] : held) proto::secure_pool_deallocate(block, size);
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(corrupted == 0);
}

TEST_CASE("secure memory: a SecureText keeps every non-empty value on do-not-dump pages") {
  proto::SecureText empty;
  CHECK(empty.empty());
  CHECK(empty == "");
  proto::SecureText shorty = "pw";  // short enough for the small-string buffer: stored past it anyway
  CHECK(shorty == "pw");
  CHECK(shorty.size() == 2);
  CHECK(std::string_view(shorty.c_str()) == "pw");
  CHECK(smaps::has_flag(smaps::vm_flags_of(shorty.data()), "dd"));
  // A copy has its own secure buffer.
  proto::SecureText copy = shorty;
  CHECK(copy == shorty);
  CHECK(copy.data() != shorty.data());
  CHECK(smaps::has_flag(smaps::vm_flags_of(copy.data()), "dd"));
  // A copy assigned over an empty value too (std::string's would land in the small-string buffer).
  proto::SecureText assigned;
  assigned = copy;
  CHECK(smaps::has_flag(smaps::vm_flags_of(assigned.data()), "dd"));
  const std::string long_token(300, 'L');
  proto::SecureText token = long_token;
  CHECK(token == long_token);
  CHECK(long_token == token);
  CHECK(token != shorty);
  CHECK(smaps::has_flag(smaps::vm_flags_of(token.data()), "dd"));
  // Moving keeps the buffer (no copy left behind), the source is empty.
  const char* buffer = token.data();
  proto::SecureText moved = std::move(token);
  CHECK(moved.data() == buffer);
  CHECK(token.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(moved.str() == long_token);
}

TEST_CASE("secure memory: a SecureText zeroes what it replaces and wipes an ordinary string moved into it") {
  proto::SecureText text = std::string_view("flx_0123456789abcdef0123456789abcdef");
  const char* buffer = text.data();
  text = "short";  // fits: the same buffer, the old tail zeroed
  CHECK(text.data() == buffer);
  CHECK(text == "short");
  CHECK(all_zero(buffer + 5, 36 - 5));  // the old value had 36 bytes
  text.clear();
  CHECK(text.empty());
  CHECK(all_zero(buffer, 36));

  std::string plain = "flx_plain_0123456789abcdef0123456789";
  const std::string expected = plain;
  proto::SecureText taken = std::move(plain);
  CHECK(taken == expected);
  CHECK(plain.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(all_zero(plain.data(), plain.capacity()));

  // A part of its own value.
  taken = std::string_view(taken).substr(4, 5);
  CHECK(taken == "plain");
  std::string_view view = taken;
  CHECK(view == "plain");
}
