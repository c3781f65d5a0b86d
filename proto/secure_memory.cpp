#include "proto/secure_memory.hpp"

#include <string.h>  // explicit_bzero
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <mutex>
#include <new>
#include <vector>

namespace proto {
namespace {

std::size_t page_size() noexcept {
  static const std::size_t size = [] {
    const long value = ::sysconf(_SC_PAGESIZE);
    return value > 0 ? static_cast<std::size_t>(value) : std::size_t{4096};
  }();
  return size;
}

std::size_t rounded(std::size_t bytes) noexcept {
  const std::size_t page = page_size();
  return (bytes == 0 ? page : (bytes + page - 1) / page * page);
}

// The pool's size classes: 32, 64, 128, 256, 512, 1024, 2048 bytes.
constexpr std::size_t kClasses = 7;
static_assert(kSecurePoolMinBlock << (kClasses - 1) == kSecurePoolMaxBlock);
// Each refill of a class maps one slab: 16 KiB (at least a page), 8 to 512 blocks.
constexpr std::size_t kSlabBytes = 16 * 1024;

std::size_t class_of(std::size_t bytes) noexcept {
  std::size_t index = 0;
  for (std::size_t block = kSecurePoolMinBlock; block < bytes; block <<= 1) ++index;
  return index;
}

class Pool {
 public:
  void* allocate(std::size_t bytes) {
    const std::size_t index = class_of(bytes);
    std::lock_guard lock(mutex_);
    auto& free = free_[index];
    if (free.empty()) refill(index);
    void* block = free.back();
    free.pop_back();
    return block;
  }

  void deallocate(void* block, std::size_t bytes) noexcept {
    const std::size_t index = class_of(bytes);
    // Zeroed before it is listed, outside the lock: nobody else holds the block.
    explicit_bzero(block, kSecurePoolMinBlock << index);
    std::lock_guard lock(mutex_);
    // Never reallocates: each refill reserved room for every block of the class.
    free_[index].push_back(block);
  }

 private:
  // Maps a slab for class `index` and lists its blocks as free (the caller holds the lock).
  void refill(std::size_t index) {
    const std::size_t block = kSecurePoolMinBlock << index;
    const std::size_t length = rounded(kSlabBytes);
    const std::size_t count = length / block;
    auto& free = free_[index];
    // Room for every block this class will ever have, so deallocate never allocates (it is noexcept).
    free.reserve(capacity_[index] + count);
    auto* slab = static_cast<char*>(secure_allocate(length));
    capacity_[index] += count;
    // Handed out from the slab's start (the list is a stack).
    for (std::size_t i = count; i-- > 0;) free.push_back(slab + i * block);
  }

  std::mutex mutex_;
  std::array<std::vector<void*>, kClasses> free_;
  std::array<std::size_t, kClasses> capacity_{};
};

// Never destroyed: a static secret elsewhere may be freed after this file's statics are gone.
Pool& pool() {
  static Pool* const instance = new Pool;
  return *instance;
}

}  // namespace

void* secure_allocate(std::size_t bytes) {
  const std::size_t length = rounded(bytes);
  // Its own anonymous mapping: the flags below then apply to the secret's pages and nothing else.
  void* memory = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  // Excluded from core dumps, whatever the process's dumpable state or core_pattern.
  (void)::madvise(memory, length, MADV_DONTDUMP);
  // Never written to swap, as far as RLIMIT_MEMLOCK allows; past it the pages are merely unlocked.
  (void)::mlock(memory, length);
  return memory;
}

void secure_deallocate(void* memory, std::size_t bytes) noexcept {
  if (!memory) return;
  const std::size_t length = rounded(bytes);
  explicit_bzero(memory, length);  // before munlock: unlocked pages could be swapped out before the unmap
  (void)::munlock(memory, length);
  (void)::munmap(memory, length);
}

void* secure_pool_allocate(std::size_t bytes) {
  if (bytes > kSecurePoolMaxBlock) return secure_allocate(bytes);
  return pool().allocate(bytes);
}

void secure_pool_deallocate(void* memory, std::size_t bytes) noexcept {
  if (!memory) return;
  if (bytes > kSecurePoolMaxBlock) return secure_deallocate(memory, bytes);
  pool().deallocate(memory, bytes);
}

void wipe(SecureString& secret) noexcept {
  secret.resize(secret.capacity());
  explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

SecretBuffer::SecretBuffer(std::string value) {
  text.reserve(value.size() < kMinCapacity ? kMinCapacity : value.size());
  text.assign(value.data(), value.size());
  // The ordinary copy it came in, wiped like proto::wipe does (whole capacity).
  value.resize(value.capacity());
  explicit_bzero(value.data(), value.size());
}

namespace {

void wipe_plain(std::string& value) noexcept {
  value.resize(value.capacity());
  explicit_bzero(value.data(), value.size());
  value.clear();
}

}  // namespace

SecureText::SecureText(std::string&& value) {
  assign(value);
  wipe_plain(value);
}

SecureText& SecureText::operator=(const SecureText& other) {
  if (this != &other) assign(other.view());
  return *this;
}

SecureText& SecureText::operator=(SecureText&& other) noexcept {
  if (this != &other) {
    // Zeroed first: moving an empty value in keeps this buffer, whose old bytes must not linger.
    wipe(text_);
    text_ = std::move(other.text_);
  }
  return *this;
}

SecureText& SecureText::operator=(std::string&& value) {
  assign(value);
  wipe_plain(value);
  return *this;
}

void SecureText::assign(std::string_view value) {
  const char* begin = text_.data();
  if (!value.empty() && value.data() >= begin && value.data() < begin + text_.capacity()) {
    // A part of this very value: copy it out first (into secure memory too).
    SecureText copy(value);
    *this = std::move(copy);
    return;
  }
  wipe(text_);
  if (value.empty()) return;
  // Past the small-string buffer, so the bytes never sit inside the object (wherever it lives).
  const std::size_t wanted = value.size() < kMinCapacity ? kMinCapacity : value.size();
  if (text_.capacity() < wanted) text_.reserve(wanted);
  text_.assign(value.data(), value.size());
}

}  // namespace proto
