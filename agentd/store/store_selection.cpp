// select_store (declared in secret_store.hpp): which store this run uses, and why.
#include <utility>

#include "agentd/store/file_store.hpp"
#include "agentd/store/keyring_store.hpp"
#include "agentd/store/secret_store.hpp"

namespace agentd::store {
namespace {

constexpr std::string_view kKeyring = proto::to_string(proto::StoreKind::keyring);
constexpr std::string_view kFile = proto::to_string(proto::StoreKind::file);
constexpr std::size_t kMaxEchoed = 32;
// A temp file this old belongs to no write in progress (a write takes milliseconds).
constexpr std::chrono::seconds kStaleTempAge{60};

bool valid_choice(const std::string& value) { return value.empty() || value == kKeyring || value == kFile; }

// Settings are echoed in errors; keep a hostile value from carrying escapes or pages of text.
std::string printable(const std::string& value) {
  std::string out;
  for (char c : value.substr(0, kMaxEchoed)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return value.size() > kMaxEchoed ? out + "…" : out;
}

std::string without_hint(std::string message) {
  if (message.ends_with(kUseFileHint)) message.resize(message.size() - kUseFileHint.size());
  return message;
}

StoreSelection file_store(const std::string& home, std::string detail) {
  auto store = std::make_unique<FileStore>(home + "/credentials.json");
  // A crash mid-write leaves a 0600 temp copy of the tokens behind; the agent starting is the moment
  // nobody else writes there, so clear what such crashes left.
  store->remove_stale_temp_files(kStaleTempAge);
  return StoreSelection{std::move(store), std::move(detail)};
}

// The coroutine proper takes its arguments by value: see select_store.
boost::asio::awaitable<proto::Result<StoreSelection>> select(std::string home, std::string forced, std::string recorded) {
  if (!valid_choice(forced)) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "FLUXLOOP_STORE must be \"keyring\" or \"file\" (or unset), not \"" + printable(forced) + "\""};
  }
  if (!valid_choice(recorded)) {
    co_return proto::Error{proto::ErrorCode::invalid_argument,
                           "the recorded secret store \"" + printable(recorded) +
                               "\" is neither \"keyring\" nor \"file\": fix the agent's configuration, or set "
                               "FLUXLOOP_STORE=keyring or FLUXLOOP_STORE=file"};
  }
  if (forced == kFile) co_return file_store(home, "forced by FLUXLOOP_STORE=file");

  const bool keyring_required = forced == kKeyring || (forced.empty() && recorded == kKeyring);
  if (!keyring_required && recorded == kFile) co_return file_store(home, "recorded choice");

  // The bus address is resolved here, without libsecret: with no session bus, libsecret would try to
  // autolaunch one (X11), which is slow at best.
  const std::string why = forced == kKeyring ? "FLUXLOOP_STORE=keyring forces the keyring"
                                             : "the keyring is the store recorded for " + home;
  auto address = session_bus_address();
  if (!address) {
    if (!keyring_required) co_return file_store(home, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)");
    co_return proto::Error{proto::ErrorCode::store_error,
                           why + ", but there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set): start "
                                 "the agent inside your desktop session, or run it with FLUXLOOP_STORE=file (the "
                                 "keyring's credentials are not copied to the file)"};
  }

  auto keyring = std::make_unique<KeyringStore>();
  auto answered = co_await keyring->probe(kKeyringProbeDeadline);
  if (!answered) {
    // A recorded or forced keyring never silently becomes the file: the user's tokens are in the keyring.
    if (!keyring_required) {
      co_return file_store(home, "the Secret Service is not usable (" + without_hint(answered.error().message) + ")");
    }
    co_return proto::Error{proto::ErrorCode::store_error,
                           why + ", but it cannot be used: " + without_hint(answered.error().message) +
                               "; unlock or start the keyring, or run the agent with FLUXLOOP_STORE=file (the "
                               "keyring's credentials are not copied to the file)"};
  }
  std::string detail = forced == kKeyring ? "forced by FLUXLOOP_STORE=keyring"
                       : recorded == kKeyring ? "recorded choice"
                                              : "the Secret Service answered on " + *address;
  co_return StoreSelection{std::move(keyring), std::move(detail)};
}

}  // namespace

// Not a coroutine itself: a coroutine taking `const std::string&` keeps the references, which dangle
// as soon as a caller passes temporaries and awaits later. Copies are made here, at the call.
boost::asio::awaitable<proto::Result<StoreSelection>> select_store(boost::asio::any_io_executor executor,
                                                                   const std::string& home, const std::string& forced,
                                                                   const std::string& recorded) {
  (void)executor;  // the probe is awaited on the executor the returned awaitable runs on
  return select(home, forced, recorded);
}

}  // namespace agentd::store
