#include "agentd/lock/passphrase_lock.hpp"


#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "agentd/util/blocking_call.hpp"
#include "proto/mask.hpp"
#include "proto/secure_memory.hpp"

namespace agentd::lock {
namespace {

namespace asio = boost::asio;

// PBKDF2-HMAC-SHA256 work factor: ~0.1 s on a laptop core. The hash only ever lives in the agent's
// memory, so this slows guessing by anyone who reads it (a core dump is already disabled), while
// the wrong-passphrase delay below throttles guessing over the socket.
constexpr int kIterations = 200'000;
// A wrong passphrase is answered this late; attempts never overlap (see `busy_`).
constexpr auto kWrongPassphraseDelay = std::chrono::seconds(1);
// The hash is CPU-bound; a worker slower than this means something is badly wrong.
constexpr auto kHashDeadline = std::chrono::seconds(30);

bool derive(std::string_view passphrase, const std::array<unsigned char, 16>& salt,
            std::array<unsigned char, 32>& out) {
  return PKCS5_PBKDF2_HMAC(passphrase.data(), static_cast<int>(passphrase.size()), salt.data(),
                           static_cast<int>(salt.size()), kIterations, EVP_sha256(), static_cast<int>(out.size()),
                           out.data()) == 1;
}

proto::Status check_passphrase(std::string_view passphrase) {
  if (passphrase.empty()) return proto::Error{proto::ErrorCode::invalid_argument, "the passphrase must not be empty"};
  if (passphrase.size() > kMaxPassphraseBytes) {
    return proto::Error{proto::ErrorCode::invalid_argument,
                        "the passphrase is longer than " + std::to_string(kMaxPassphraseBytes) + " bytes"};
  }
  return proto::Ok{};
}

// Clears `flag` when the operation that set it ends, however it ends.
struct BusyGuard {
  bool& flag;
  explicit BusyGuard(bool& f) : flag(f) { flag = true; }
  ~BusyGuard() { flag = false; }
};

}  // namespace

proto::Result<Verifier> make_verifier(std::string_view passphrase) {
  Verifier v;
  if (RAND_bytes(v.salt.data(), static_cast<int>(v.salt.size())) != 1) {
    return proto::Error{proto::ErrorCode::internal, "the system's random source failed"};
  }
  if (!derive(passphrase, v.salt, v.hash)) return proto::Error{proto::ErrorCode::internal, "hashing the passphrase failed"};
  return v;
}

bool verify(const Verifier& verifier, std::string_view passphrase) {
  std::array<unsigned char, 32> candidate{};
  const bool derived = derive(passphrase, verifier.salt, candidate);
  const bool same = CRYPTO_memcmp(candidate.data(), verifier.hash.data(), candidate.size()) == 0;
  OPENSSL_cleanse(candidate.data(), candidate.size());
  return derived && same;
}

PassphraseLock::PassphraseLock(asio::any_io_executor executor) : executor_(std::move(executor)) {}

PassphraseLock::~PassphraseLock() {
  if (verifier_) OPENSSL_cleanse(verifier_->hash.data(), verifier_->hash.size());
}

asio::awaitable<proto::Status> PassphraseLock::lock(std::string_view passphrase) {
  if (locked()) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "the agent is already locked; unlock it with `fluxloop agent unlock`"};
  }
  if (busy_) co_return proto::Error{proto::ErrorCode::busy, "the agent is busy locking or unlocking; try again"};
  if (auto ok = check_passphrase(passphrase); !ok) co_return ok;
  BusyGuard guard(busy_);
  if (!runner_) runner_ = std::make_unique<util::BlockingRunner>("the passphrase hasher", proto::ErrorCode::internal);
  // The hashing job owns its copy: wiped however the job ends (done, or abandoned past the deadline).
  auto secret = std::make_shared<proto::SecretBuffer>(std::string(passphrase));
  std::function<proto::Result<Verifier>()> job = [secret] { return make_verifier(secret->text); };
  auto made = co_await runner_->run<Verifier>(std::move(job), kHashDeadline);
  if (!made) co_return std::move(made).error();
  verifier_ = *made;
  OPENSSL_cleanse(made->hash.data(), made->hash.size());
  co_return proto::Ok{};
}

asio::awaitable<proto::Status> PassphraseLock::unlock(std::string_view passphrase) {
  if (!locked()) co_return proto::Error{proto::ErrorCode::invalid_argument, "the agent is not locked"};
  // One attempt at a time: parallel guesses would each get the delay, but all at once.
  if (busy_) co_return proto::Error{proto::ErrorCode::busy, "another unlock attempt is in progress; try again in a moment"};
  BusyGuard guard(busy_);
  bool matched = false;
  if (passphrase.size() <= kMaxPassphraseBytes) {
    if (!runner_) runner_ = std::make_unique<util::BlockingRunner>("the passphrase hasher", proto::ErrorCode::internal);
    auto secret = std::make_shared<proto::SecretBuffer>(std::string(passphrase));
    const Verifier verifier = *verifier_;
    std::function<proto::Result<bool>()> job = [secret, verifier] { return proto::Result<bool>(verify(verifier, secret->text)); };
    auto checked = co_await runner_->run<bool>(std::move(job), kHashDeadline);
    if (!checked) co_return std::move(checked).error();
    matched = *checked;
  }
  if (!matched) {
    asio::steady_timer delay(executor_, kWrongPassphraseDelay);
    co_await delay.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return proto::Error{proto::ErrorCode::permission_denied, "wrong passphrase: the agent stays locked"};
  }
  OPENSSL_cleanse(verifier_->hash.data(), verifier_->hash.size());
  verifier_.reset();
  co_return proto::Ok{};
}

}  // namespace agentd::lock
