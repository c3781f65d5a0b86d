// The agent's side of the keyring store: requests to fluxloop-keyring-helper on a socketpair, one at
// a time, each under its deadline. No libsecret or GLib here (issue 13: they stay out of the agent).
#include "agentd/store/keyring_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <map>
#include <cstdlib>
#include <deque>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "agentd/helpers/program.hpp"
#include "agentd/helpers/wire.hpp"
#include "agentd/util/json_wipe.hpp"
#include "agentd/util/unique_fd.hpp"
#include "proto/base64.hpp"
#include "proto/mask.hpp"
#include "proto/secure_memory.hpp"

namespace agentd::store {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The helper exits after 30 s without a request (keyring_helper/main.cpp); one unused for this long is
// replaced rather than written to, so a request never races the helper's own idle exit.
constexpr std::chrono::milliseconds kHelperStale{25'000};
constexpr std::string_view kService = "the Secret Service";
// GIO's unreserved characters in a D-Bus address value (g_dbus_address_escape_value).
constexpr std::string_view kAddressSafe = "-_/\\.";

std::string describe(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
  return std::to_string(duration.count()) + " ms";
}

proto::Error unavailable(std::string what) { return store_error(std::string(kService) + " " + what + std::string(kUseFileHint)); }

std::string escape_address_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || kAddressSafe.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// The helper's environment: the bus it must use (resolved here, as select_store did), nothing secret.
std::vector<std::string> helper_environment() {
  std::vector<std::string> environment;
  if (auto address = session_bus_address()) environment.push_back("DBUS_SESSION_BUS_ADDRESS=" + *address);
  helpers::pass_through(environment, {"XDG_RUNTIME_DIR", "HOME", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
                                      "TSAN_OPTIONS"});
  return environment;
}

}  // namespace

struct KeyringStore::Helper {
  ~Helper() { stop(); }
  void stop() {
    if (pid > 0) helpers::kill_and_reap(pid, pidfd.get());
    pid = -1;
    socket.reset();
    pidfd.reset();
  }
  pid_t pid = -1;
  util::UniqueFd socket;
  util::UniqueFd pidfd;
  Clock::time_point last_used{};
  std::uint64_t next_id = 0;
  bool busy = false;  // a call is talking to the helper; the others wait their turn in `waiting`
  std::deque<asio::steady_timer*> waiting;
};

namespace {

using Helper = KeyringStore::Helper;

// Hands the helper to the next waiting call however the current one ends.
struct Turn {
  Helper& helper;
  ~Turn() {
    helper.busy = false;
    if (!helper.waiting.empty()) {
      helper.waiting.front()->cancel();
      helper.waiting.pop_front();
    }
  }
};

// Writes the request and reads its reply on `socket` (a duplicate of the helper's, on the caller's
// executor). Errors are descriptions ("exited before answering").
asio::awaitable<proto::Result<json>> exchange(asio::local::stream_protocol::socket& socket, std::string& frame,
                                              std::uint64_t id) {
  auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(frame), kUseTuple);
  proto::wipe(frame);
  if (write_ec) co_return proto::Error{proto::ErrorCode::store_error, "exited before answering"};
  std::array<unsigned char, 4> header{};
  auto [header_ec, header_read] = co_await asio::async_read(socket, asio::buffer(header), kUseTuple);
  if (header_ec) co_return proto::Error{proto::ErrorCode::store_error, "exited before answering"};
  auto length = helpers::frame_length(header);
  if (!length) co_return proto::Error{proto::ErrorCode::store_error, "sent a malformed reply"};
  std::string body(*length, '\0');
  proto::WipeOnExit wipe{body};
  auto [body_ec, body_read] = co_await asio::async_read(socket, asio::buffer(body), kUseTuple);
  if (body_ec) co_return proto::Error{proto::ErrorCode::store_error, "exited before answering"};
  auto reply = json::parse(body, nullptr, false);
  if (reply.is_discarded() || !reply.is_object() || reply.value("id", std::uint64_t{0}) != id) {
    co_return proto::Error{proto::ErrorCode::store_error, "sent a malformed reply"};
  }
  co_return reply;
}

// One request to the helper, started if none runs, within `deadline` (waiting for an earlier call
// included). Past the deadline, or when the helper dies, it is killed and reaped; the next call starts
// another. The reply's own failure ({"ok": false}) becomes its store_error.
asio::awaitable<proto::Result<json>> call(std::shared_ptr<Helper> helper, json request, std::chrono::milliseconds deadline) {
  util::JsonWiper wipe_request{request};
  auto executor = co_await asio::this_coro::executor;
  const auto until = Clock::now() + deadline;
  while (helper->busy) {
    if (Clock::now() >= until) co_return unavailable("did not answer within " + describe(deadline) + " (an earlier call is still waiting)");
    asio::steady_timer turn(executor, until);
    helper->waiting.push_back(&turn);
    co_await turn.async_wait(kUseTuple);
    std::erase(helper->waiting, &turn);
  }
  helper->busy = true;
  Turn turn{*helper};

  const std::uint64_t id = ++helper->next_id;
  request["id"] = id;
  request["timeout_ms"] = deadline.count();
  std::string frame = helpers::encode_frame(request);
  proto::WipeOnExit wipe_frame{frame};
  proto::Result<json> reply = proto::Error::unset();
  // A helper we started earlier may have died since (killed, idle exit racing us): then one more try
  // with a fresh one. Every request is idempotent (a save replaces the profile's item).
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (helper->pid > 0 && (helpers::exited(helper->pid) || Clock::now() - helper->last_used > kHelperStale)) helper->stop();
    const bool fresh = helper->pid <= 0;
    if (fresh) {
      auto child = helpers::spawn(helpers::Program::keyring, helper_environment());
      if (!child) co_return unavailable("cannot be reached: " + child.error().message);
      helper->pid = child->pid;
      helper->socket = std::move(child->socket);
      helper->pidfd = std::move(child->pidfd);
      spdlog::debug("started {} (pid {})", helpers::program_name(helpers::Program::keyring), helper->pid);
    }
    helper->last_used = Clock::now();
    util::UniqueFd dup(::fcntl(helper->socket.get(), F_DUPFD_CLOEXEC, 0));
    if (!dup) co_return unavailable("cannot be reached: cannot duplicate the helper's socket");
    asio::local::stream_protocol::socket socket(executor);
    boost::system::error_code ec;
    socket.assign(asio::local::stream_protocol(), dup.release(), ec);
    if (ec) co_return unavailable("cannot be reached: " + ec.message());
    asio::steady_timer timer(executor, until);
    std::string attempt_frame = frame;
    proto::WipeOnExit wipe_attempt{attempt_frame};

    using namespace asio::experimental::awaitable_operators;
    auto outcome = co_await (exchange(socket, attempt_frame, id) || timer.async_wait(kUseTuple));
    helper->last_used = Clock::now();
    if (outcome.index() == 1) {
      // Whatever holds it (a silent bus, a prompt) would hold every later call: end it, start afresh.
      spdlog::warn("the keyring helper did not answer within {}: stopping it", describe(deadline));
      helper->stop();
      co_return unavailable("did not answer within " + describe(deadline));
    }
    reply = std::get<0>(std::move(outcome));
    if (reply) break;
    helper->stop();
    if (fresh) break;
  }
  if (!reply) co_return unavailable("(keyring helper) " + reply.error().message);
  if (!reply->value("ok", false)) co_return store_error(reply->value("message", "the keyring helper failed"));
  co_return std::move(*reply);
}

proto::Status status_of(proto::Result<json> reply) {
  if (!reply) return std::move(reply).error();
  util::wipe_json(*reply);
  return proto::Ok{};
}

// The items the helper found, checked and parsed; of two items for one profile the newer wins.
proto::Result<ProfileCredentials> parse_items(json& reply) {
  util::JsonWiper wipe{reply};
  ProfileCredentials out;
  std::map<std::string, std::uint64_t> modified;
  if (!reply.contains("items") || !reply["items"].is_array()) return store_error("the keyring helper sent a malformed reply");
  for (auto& item : reply["items"]) {
    const std::string profile = item.value("profile", "");
    const auto when = item.value("modified", std::uint64_t{0});
    auto secret = proto::base64_decode(item.value("secret", ""));
    if (profile.empty() || !secret) return store_error("the keyring helper sent a malformed reply");
    proto::WipeOnExit wipe_secret{*secret};
    auto parsed = parse_credentials(*secret, profile);
    if (!parsed || !parsed->profiles.contains(profile)) {
      return store_error("the keyring item of profile \"" + profile + "\" does not hold valid credentials" +
                         (parsed ? std::string() : " (" + parsed.error().message + ")") +
                         ": remove it with `fluxloop auth logout --profile " + profile + "`");
    }
    if (auto seen = modified.find(profile); seen != modified.end() && seen->second > when) continue;
    modified[profile] = when;
    out.insert_or_assign(profile, std::move(parsed->profiles.at(profile)));
  }
  return out;
}

}  // namespace

std::optional<std::string> session_bus_address() {
  if (const char* address = std::getenv("DBUS_SESSION_BUS_ADDRESS"); address && *address) return std::string(address);
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (!runtime || !*runtime) return std::nullopt;
  std::string path = std::string(runtime) + "/bus";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != ::geteuid()) return std::nullopt;
  return "unix:path=" + escape_address_value(path);
}

KeyringStore::KeyringStore(std::chrono::milliseconds call_deadline)
    : call_deadline_(call_deadline),
      location_("Secret Service on " + session_bus_address().value_or("the session bus")),
      helper_(std::make_shared<Helper>()) {}

KeyringStore::~KeyringStore() = default;

std::string KeyringStore::location() const { return location_; }

int KeyringStore::helper_pid() const { return helper_->pid; }

boost::asio::awaitable<proto::Status> KeyringStore::probe(std::chrono::milliseconds deadline) {
  // g++ 12: named locals, not temporaries in the co_await (docs/development.md "g++ 12 and coroutines").
  auto helper = helper_;
  json request = json::object();
  request["op"] = "probe";
  auto reply = co_await call(helper, std::move(request), deadline);
  co_return status_of(std::move(reply));
}

boost::asio::awaitable<proto::Result<ProfileCredentials>> KeyringStore::load_all() {
  auto helper = helper_;
  json request = json::object();
  request["op"] = "load";
  auto reply = co_await call(helper, std::move(request), call_deadline_);
  if (!reply) co_return std::move(reply).error();
  co_return parse_items(*reply);
}

// save and erase are not coroutines: they copy what they need at the call (the arguments are
// references a caller may not keep alive until it awaits) and return the awaiting coroutine.
boost::asio::awaitable<proto::Status> KeyringStore::save(const std::string& profile, const Credentials& credentials) {
  proto::SecretBuffer secret(serialize_profile(credentials));
  json request{{"op", "save"}, {"profile", profile}, {"secret", proto::base64_encode(std::string_view(secret.text.data(), secret.text.size()))}};
  return [](std::shared_ptr<Helper> helper, json request, std::chrono::milliseconds deadline) -> asio::awaitable<proto::Status> {
    auto reply = co_await call(std::move(helper), std::move(request), deadline);
    co_return status_of(std::move(reply));
  }(helper_, std::move(request), call_deadline_);
}

boost::asio::awaitable<proto::Status> KeyringStore::erase(const std::string& profile) {
  json request{{"op", "erase"}, {"profile", profile}};
  return [](std::shared_ptr<Helper> helper, json request, std::chrono::milliseconds deadline) -> asio::awaitable<proto::Status> {
    auto reply = co_await call(std::move(helper), std::move(request), deadline);
    co_return status_of(std::move(reply));
  }(helper_, std::move(request), call_deadline_);
}

}  // namespace agentd::store
