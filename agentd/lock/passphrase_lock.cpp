#include "agentd/lock/passphrase_lock.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include "agentd/util/atomic_file.hpp"
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

// The marker's format version; a marker of another version is refused, never guessed at.
constexpr int kMarkerVersion = 1;
constexpr std::size_t kMaxMarkerBytes = 4096;

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

template <std::size_t N>
bool from_hex(const std::string& text, std::array<unsigned char, N>& out) {
  if (text.size() != 2 * N) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

// Writes the marker (0600, atomically). Runs on the hashing worker: it is blocking file I/O.
proto::Status write_marker(const std::string& path, const Verifier& v) {
  nlohmann::json marker = {{"version", kMarkerVersion},
                           {"kdf", "pbkdf2-hmac-sha256"},
                           {"iterations", kIterations},
                           {"salt", to_hex(v.salt.data(), v.salt.size())},
                           {"hash", to_hex(v.hash.data(), v.hash.size())}};
  auto written = util::write_file_atomic(path, marker.dump());
  if (!written) {
    return proto::Error{proto::ErrorCode::store_error,
                        "cannot record the lock, so a restarted agent would start unlocked; the agent stays unlocked (" +
                            written.error().message + ")"};
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

PassphraseLock::PassphraseLock(asio::any_io_executor executor, std::string marker_path)
    : executor_(std::move(executor)), marker_path_(std::move(marker_path)) {}

proto::Status PassphraseLock::restore() {
  if (marker_path_.empty()) return proto::Ok{};
  auto text = util::read_file(marker_path_, kMaxMarkerBytes, util::Privacy::owner_only, util::Symlinks::refuse);
  auto refuse = [&](const std::string& why) {
    return proto::Error{proto::ErrorCode::store_error,
                        "the agent was locked when it last ran, but its lock marker " + marker_path_ + " " + why +
                            "; to start unlocked anyway, remove that file"};
  };
  if (!text) return refuse("cannot be read (" + text.error().message + ")");
  if (!*text) return proto::Ok{};  // not locked
  const auto marker = nlohmann::json::parse(**text, nullptr, false);
  // Checked field by field without throwing: a hostile or damaged marker is refused, never trusted.
  auto number = [&](const char* key, int expected) {
    auto it = marker.find(key);
    return it != marker.end() && it->is_number_integer() && it->get<std::int64_t>() == expected;
  };
  auto hex = [&](const char* key, auto& out) {
    auto it = marker.find(key);
    return it != marker.end() && it->is_string() && from_hex(it->template get<std::string>(), out);
  };
  Verifier v;
  if (!marker.is_object() || !number("version", kMarkerVersion) || !number("iterations", kIterations) ||
      !hex("salt", v.salt) || !hex("hash", v.hash)) {
    return refuse("is not one this version understands");
  }
  verifier_ = v;
  OPENSSL_cleanse(v.hash.data(), v.hash.size());
  return proto::Ok{};
}

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
  std::function<proto::Result<Verifier>()> job = [secret, marker = marker_path_]() -> proto::Result<Verifier> {
    auto made = make_verifier(secret->text);
    if (!made || marker.empty()) return made;
    // Persisted before the lock counts: `agent stop` plus a fresh agent must not undo it.
    FLUXLOOP_CHECK(write_marker(marker, *made));
    return made;
  };
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
    std::function<proto::Result<bool>()> job = [secret, verifier, marker = marker_path_]() -> proto::Result<bool> {
      if (!verify(verifier, secret->text)) return false;
      // Gone before the unlock counts; a marker that cannot be removed keeps the agent locked, so
      // the next run would not disagree with this one.
      if (!marker.empty() && ::unlink(marker.c_str()) != 0 && errno != ENOENT) {
        return proto::Error{proto::ErrorCode::store_error, "cannot remove the lock marker " + marker + " (" +
                                                               std::strerror(errno) + "); the agent stays locked"};
      }
      return true;
    };
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
