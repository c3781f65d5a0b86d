// Memory for secrets that must not reach swap or a core file: pages mapped apart from the heap,
// marked MADV_DONTDUMP and locked (mlock) where RLIMIT_MEMLOCK allows. Shared by the agent and the
// client (no dependencies beyond libc).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace proto {

// Page-aligned memory of at least `bytes` bytes, a mapping of its own, excluded from core dumps,
// locked in RAM when the memlock limit allows (a failed mlock is ignored: the pages are still never
// dumped). Throws std::bad_alloc when no memory can be mapped.
void* secure_allocate(std::size_t bytes);
// Zeroes and unmaps memory from secure_allocate(`bytes` as allocated).
void secure_deallocate(void* memory, std::size_t bytes) noexcept;

// The pool for small secrets: a request of up to kSecurePoolMaxBlock bytes gets a block of its size
// class (32, 64, … 2048 bytes, aligned to its size) carved from slabs that are mapped, marked and
// locked like secure_allocate's pages; a larger one gets a mapping of its own (secure_allocate).
// A freed block is zeroed (explicit_bzero) and kept on its class's free list for the next request;
// slabs are never unmapped. Thread-safe (one mutex). Throws std::bad_alloc when no memory can be mapped.
inline constexpr std::size_t kSecurePoolMinBlock = 32;
inline constexpr std::size_t kSecurePoolMaxBlock = 2048;
void* secure_pool_allocate(std::size_t bytes);
// Zeroes `memory` from secure_pool_allocate(`bytes` as allocated) and gives it back.
void secure_pool_deallocate(void* memory, std::size_t bytes) noexcept;

// A standard allocator over the secure pool (secure_pool_allocate): for secrets, the strings that
// hold them and their few containers, not for bulk data.
template <typename T>
struct SecureAllocator {
  using value_type = T;
  SecureAllocator() noexcept = default;
  template <typename U>
  SecureAllocator(const SecureAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) { return static_cast<T*>(secure_pool_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { secure_pool_deallocate(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const SecureAllocator<U>&) const noexcept { return true; }
};

// A string whose heap buffer lives in secure memory (a value short enough for the small-string
// buffer lives inside the object: put the object itself in secure memory too when that matters, or
// reserve past it as SecureText and SecretBuffer do).
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

// A secret as a copyable value (a token or an API key in store::Credentials): its bytes always live
// in the secure pool, short values too (any non-empty value is stored past the small-string buffer;
// an empty one holds no byte). Built implicitly from std::string, std::string_view and const char*
// (an ordinary std::string passed by rvalue is wiped after the copy); reads as a std::string_view.
// A freed or replaced buffer is zeroed. str() makes an ordinary std::string for a library that wants
// one: wipe that copy when done (proto::wipe, proto::WipeOnExit).
class SecureText {
 public:
  // Allocates 32 bytes (capacity + terminator): the pool's smallest class.
  static constexpr std::size_t kMinCapacity = kSecurePoolMinBlock - 1;

  SecureText() noexcept = default;
  SecureText(std::string_view value) { assign(value); }                  // NOLINT(google-explicit-constructor)
  SecureText(const char* value) { assign(std::string_view(value)); }     // NOLINT(google-explicit-constructor)
  SecureText(const std::string& value) { assign(std::string_view(value)); }  // NOLINT(google-explicit-constructor)
  SecureText(std::string&& value);                                       // NOLINT(google-explicit-constructor)
  SecureText(const SecureText& other) { assign(other.view()); }
  SecureText(SecureText&& other) noexcept = default;
  ~SecureText() = default;  // the allocator zeroes the buffer it frees

  SecureText& operator=(const SecureText& other);
  SecureText& operator=(SecureText&& other) noexcept;
  SecureText& operator=(std::string_view value) {
    assign(value);
    return *this;
  }
  SecureText& operator=(const char* value) { return *this = std::string_view(value); }
  SecureText& operator=(const std::string& value) { return *this = std::string_view(value); }
  SecureText& operator=(std::string&& value);

  // Replaces the value, zeroing the old one.
  void assign(std::string_view value);
  // Zeroes and empties (the secure buffer is kept for the next value).
  void clear() noexcept { wipe(text_); }

  bool empty() const noexcept { return text_.empty(); }
  std::size_t size() const noexcept { return text_.size(); }
  const char* data() const noexcept { return text_.data(); }
  const char* c_str() const noexcept { return text_.c_str(); }
  std::string_view view() const noexcept { return {text_.data(), text_.size()}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)
  // An ordinary copy, for an API that takes std::string: wipe it when done.
  std::string str() const { return std::string(view()); }

  friend bool operator==(const SecureText& a, const SecureText& b) noexcept { return a.view() == b.view(); }
  friend bool operator==(const SecureText& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const SecureText& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const SecureText& a, const char* b) noexcept { return a.view() == std::string_view(b); }

 private:
  SecureString text_;
};

}  // namespace proto
