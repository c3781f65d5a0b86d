// `agent lock` / `agent unlock`: the agent's passphrase lock (like ssh-agent -x / -X). The passphrase
// itself is never kept: only a salted slow hash of it, for as long as the agent is locked, in memory
// and in a 0600 marker file so that the next agent run starts locked too (docs/lock.md).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "proto/result.hpp"

namespace agentd::util {
class BlockingRunner;
}

namespace agentd::lock {

// Longest passphrase accepted (bytes); longer ones are refused, never truncated.
inline constexpr std::size_t kMaxPassphraseBytes = 1024;

// A salted PBKDF2-HMAC-SHA256 hash of a passphrase.
struct Verifier {
  std::array<unsigned char, 16> salt{};
  std::array<unsigned char, 32> hash{};
};

// Hashes `passphrase` with a fresh random salt. Slow on purpose (CPU-bound, tens of ms): call it off
// the I/O thread. Fails only when the system's random source does.
proto::Result<Verifier> make_verifier(std::string_view passphrase);
// True when `passphrase` hashes to `verifier`; the comparison takes the same time wherever the
// hashes differ (CRYPTO_memcmp). Slow like make_verifier.
bool verify(const Verifier& verifier, std::string_view passphrase);

// The lock state of one agent. Methods run on the agent's executor; hashing runs on a worker thread
// (created on first use) so a lock never stalls other clients.
class PassphraseLock {
 public:
  // `marker_path`: where the lock persists while locked (empty: in memory only).
  explicit PassphraseLock(boost::asio::any_io_executor executor, std::string marker_path = {});
  ~PassphraseLock();

  // At start-up: locks again when the marker says a previous run was locked. A marker that cannot
  // be read or understood is an error (store_error naming it): the agent must not start unlocked.
  proto::Status restore();
  bool locked() const noexcept { return verifier_.has_value(); }
  // Locks with `passphrase`. Errors: already locked, empty or over-long passphrase (invalid_argument),
  // another lock/unlock still hashing (busy).
  boost::asio::awaitable<proto::Status> lock(std::string_view passphrase);
  // Unlocks when `passphrase` matches. A wrong one is answered permission_denied only after
  // kWrongPassphraseDelay, and attempts do not overlap (busy), so guessing runs at most about one
  // try per second. Not locked: invalid_argument.
  boost::asio::awaitable<proto::Status> unlock(std::string_view passphrase);

 private:
  boost::asio::any_io_executor executor_;
  std::string marker_path_;
  std::unique_ptr<util::BlockingRunner> runner_;
  std::optional<Verifier> verifier_;
  bool busy_ = false;
};

}  // namespace agentd::lock
