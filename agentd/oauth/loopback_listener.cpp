// The only Beast HTTP *server* code of the agent (one translation unit; no TLS here).
#include "agentd/oauth/loopback_listener.hpp"

#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "agentd/oauth/encoding.hpp"
#include "agentd/oauth/errors.hpp"

namespace agentd::oauth {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kMaxRequestHeader = 8 * 1024;        // a redirect is one short GET
constexpr auto kHeaderTimeout = std::chrono::seconds(2);     // browsers send the request at once
constexpr auto kWriteTimeout = std::chrono::seconds(2);      // our small page, to a browser that reads
constexpr std::size_t kMaxOpenConnections = 32;              // served at once; more are closed unread
constexpr std::string_view kCallbackPath = "/callback";

constexpr std::string_view kDonePage =
    "<!doctype html><meta charset=utf-8><title>FluxLoop login</title>"
    "<h1>Logged in</h1><p>You can close this tab and return to your terminal.</p>";
constexpr std::string_view kFailedPage =
    "<!doctype html><meta charset=utf-8><title>FluxLoop login</title>"
    "<h1>Login failed</h1><p>The authorization server did not grant access. See your terminal.</p>";
constexpr std::string_view kStrayPage =
    "<!doctype html><meta charset=utf-8><title>FluxLoop login</title>"
    "<h1>Unexpected request</h1><p>This page does not belong to a login in progress.</p>";

std::string field(const FormFields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

struct Outcome {
  enum class Kind { stray, code, denied } kind = Kind::stray;
  std::string value;
};

// One login's connections, shared by wait_for_code and the coroutine serving each connection: the
// first one that brings our state's answer sets `result` and wakes the waiter.
struct Login {
  Login(asio::any_io_executor ex, std::string state) : expected_state(std::move(state)), wake(ex) {
    wake.expires_at(asio::steady_timer::time_point::max());
  }
  // Closes every connection still open (the login is over; their coroutines end at once).
  void close_all() {
    for (const auto& weak : open) {
      if (auto socket = weak.lock()) {
        boost::system::error_code ignored;
        socket->close(ignored);
      }
    }
    open.clear();
  }

  std::string expected_state;
  asio::steady_timer wake;
  std::optional<Outcome> result;
  std::vector<std::weak_ptr<tcp::socket>> open;
  bool over = false;
};

}  // namespace

struct LoopbackListener::Impl {
  explicit Impl(asio::any_io_executor ex) : acceptor(ex) {}
  tcp::acceptor acceptor;
};

LoopbackListener::LoopbackListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LoopbackListener::~LoopbackListener() { close(); }

proto::Result<std::unique_ptr<LoopbackListener>> LoopbackListener::open(asio::any_io_executor executor) {
  auto impl = std::make_unique<Impl>(executor);
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return proto::Error{proto::ErrorCode::internal, "cannot open the login redirect listener: " + ec.message()};
  return std::unique_ptr<LoopbackListener>(new LoopbackListener(std::move(impl)));
}

std::string LoopbackListener::redirect_uri() const {
  boost::system::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return "http://127.0.0.1:" + std::to_string(endpoint.port()) + std::string(kCallbackPath);
}

void LoopbackListener::close() {
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

namespace {

// Reads one request and answers it. Never throws; a broken or slow browser connection is a stray.
asio::awaitable<Outcome> serve_one(tcp::socket& socket, const std::string& expected_state) {
  boost::beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kMaxRequestHeader);
  parser.body_limit(0);
  asio::steady_timer timer(socket.get_executor(), kHeaderTimeout);
  auto result = co_await (http::async_read(socket, buffer, parser, kAwait) || timer.async_wait(kAwait));
  if (result.index() != 0 || std::get<0>(std::get<0>(result))) co_return Outcome{};

  const auto& request = parser.get();
  const std::string_view target(request.target().data(), request.target().size());
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  Outcome outcome;
  std::string_view page = kStrayPage;
  http::status status = http::status::not_found;
  if (request.method() == http::verb::get && path == kCallbackPath && question != std::string_view::npos) {
    auto fields = parse_form(target.substr(question + 1));
    // The state binds this redirect to the login we started: anything else may be a forged
    // request (CSRF) from another page, so it changes nothing.
    if (fields && field(*fields, "state") == expected_state) {
      if (auto code = field(*fields, "code"); !code.empty()) {
        outcome = {Outcome::Kind::code, std::move(code)};
        page = kDonePage;
        status = http::status::ok;
      } else {
        outcome = {Outcome::Kind::denied, field(*fields, "error")};
        page = kFailedPage;
        status = http::status::ok;
      }
    } else {
      status = http::status::bad_request;
    }
  }
  http::response<http::string_body> response(status, request.version());
  response.set(http::field::content_type, "text/html; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::connection, "close");
  response.body() = std::string(page);
  response.prepare_payload();
  timer.expires_after(kWriteTimeout);
  co_await (http::async_write(socket, response, kAwait) || timer.async_wait(kAwait));
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  co_return outcome;
}

// One connection's coroutine. Connections are served side by side, so idle ones (another local
// user's, a browser's pre-connect) cannot hold up the redirect; each is bounded by the timeouts above.
asio::awaitable<void> serve_connection(std::shared_ptr<tcp::socket> socket, std::shared_ptr<Login> login) {
  Outcome outcome;
  try {
    outcome = co_await serve_one(*socket, login->expected_state);
  } catch (const std::exception&) {
    outcome = Outcome{};  // a browser connection that failed oddly is a stray, never the agent's end
  }
  boost::system::error_code ignored;
  socket->close(ignored);
  if (outcome.kind != Outcome::Kind::stray && !login->over && !login->result) {
    login->result = std::move(outcome);
    login->wake.cancel();
  }
}

// Drops the bookkeeping of connections that have ended, so `open` counts live ones only.
std::size_t live_connections(Login& login) {
  std::erase_if(login.open, [](const std::weak_ptr<tcp::socket>& weak) {
    auto socket = weak.lock();
    return !socket || !socket->is_open();
  });
  return login.open.size();
}

}  // namespace

asio::awaitable<proto::Result<std::string>> LoopbackListener::wait_for_code(std::string expected_state,
                                                                           std::chrono::seconds deadline) {
  const auto executor = impl_->acceptor.get_executor();
  asio::steady_timer overall(executor, deadline);
  auto login = std::make_shared<Login>(executor, std::move(expected_state));
  // Ends the login whatever way wait_for_code returns: no connection outlives it.
  struct Finish {
    Login& login;
    ~Finish() {
      login.over = true;
      login.close_all();
    }
  } finish{*login};

  while (!login->result) {
    auto event = co_await (impl_->acceptor.async_accept(kAwait) || login->wake.async_wait(kAwait) ||
                           overall.async_wait(kAwait));
    if (event.index() == 1) continue;  // woken: a connection brought the answer
    if (event.index() == 2) {
      co_return proto::Error{proto::ErrorCode::timeout, "the browser login was not completed in time; run `fluxloop auth login` again"};
    }
    auto [ec, accepted] = std::move(std::get<0>(event));
    if (ec) co_return proto::Error{proto::ErrorCode::internal, "login listener stopped: " + ec.message()};
    if (live_connections(*login) >= kMaxOpenConnections) continue;  // closed unread as it goes out of scope
    auto socket = std::make_shared<tcp::socket>(std::move(accepted));
    login->open.push_back(socket);
    asio::co_spawn(executor, serve_connection(std::move(socket), login), asio::detached);
  }
  auto outcome = std::move(*login->result);
  if (outcome.kind == Outcome::Kind::code) co_return std::move(outcome.value);
  auto error = sanitize_server_text(outcome.value.empty() ? "unknown_error" : outcome.value);
  co_return proto::Error{proto::ErrorCode::permission_denied, "the authorization server refused the login (" + error + ")"};
}

}  // namespace agentd::oauth
