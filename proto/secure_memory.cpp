#include "proto/secure_memory.hpp"

#include <string.h>  // explicit_bzero
#include <sys/mman.h>
#include <unistd.h>

#include <new>

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

}  // namespace proto
