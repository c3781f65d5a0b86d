// Memory for secrets that must not reach swap or a core file: whole pages, mapped apart from the
// heap, marked MADV_DONTDUMP and locked (mlock) where RLIMIT_MEMLOCK allows. Shared by the agent
// and the client (no dependencies beyond libc).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace proto {

// Page-aligned memory of at least `bytes` bytes, excluded from core dumps, locked in RAM when the
// memlock limit allows (a failed mlock is ignored: the pages are still never dumped). Throws
// std::bad_alloc when no memory can be mapped.
void* secure_allocate(std::size_t bytes);
// Zeroes and unmaps memory from secure_allocate(`bytes` as allocated).
void secure_deallocate(void* memory, std::size_t bytes) noexcept;

// A standard allocator over secure_allocate: every allocation is its own pages, so use it for
// secrets and their few containers only, not for bulk data.
template <typename T>
struct SecureAllocator {
  using value_type = T;
  SecureAllocator() noexcept = default;
  template <typename U>
  SecureAllocator(const SecureAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) { return static_cast<T*>(secure_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { secure_deallocate(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const SecureAllocator<U>&) const noexcept { return true; }
};

// A string whose heap buffer lives in secure memory (a value short enough for the small-string
// buffer lives inside the object: put the object itself in secure memory too when that matters).
using SecureString = std::basic_string<char, std::char_traits<char>, SecureAllocator<char>>;

// Zeroes the whole capacity and empties the string.
void wipe(SecureString& secret) noexcept;

// A secret's own copy that wipes itself when destroyed (like proto::SecretString) and whose bytes live
// in secure memory even when short: a buffer, a worker's job or a coroutine frame holding a token,
// a passphrase or a credentials file. Not copyable (a copy would escape the wipe).
struct SecretBuffer {
  static constexpr std::size_t kMinCapacity = 32;  // past the small-string buffer: always on secure pages
  SecureString text;
  SecretBuffer() { text.reserve(kMinCapacity); }
  // Copies `value` into secure memory and wipes the ordinary string it came in.
  explicit SecretBuffer(std::string value);
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer() { wipe(text); }
};

}  // namespace proto
