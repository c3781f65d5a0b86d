// The only Beast HTTP *server* code of the agent (one translation unit; no TLS here).
#include "agentd/oauth/loopback_listener.hpp"

#include <boost/asio/as_tuple.hpp>
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

constexpr std::size_t kMaxRequestHeader = 8 * 1024;            // a redirect is one short GET
constexpr auto kPerConnectionTimeout = std::chrono::seconds(10);  // browsers send at once
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
asio::awaitable<Outcome> serve_one(tcp::socket socket, const std::string& expected_state) {
  boost::beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kMaxRequestHeader);
  parser.body_limit(0);
  asio::steady_timer timer(socket.get_executor(), kPerConnectionTimeout);
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
  timer.expires_after(kPerConnectionTimeout);
  co_await (http::async_write(socket, response, kAwait) || timer.async_wait(kAwait));
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  co_return outcome;
}

}  // namespace

asio::awaitable<proto::Result<std::string>> LoopbackListener::wait_for_code(std::string expected_state,
                                                                           std::chrono::seconds deadline) {
  asio::steady_timer overall(impl_->acceptor.get_executor(), deadline);
  for (;;) {
    auto accepted = co_await (impl_->acceptor.async_accept(kAwait) || overall.async_wait(kAwait));
    if (accepted.index() == 1) {
      co_return proto::Error{proto::ErrorCode::timeout, "the browser login was not completed in time; run `fluxloop auth login` again"};
    }
    auto [ec, socket] = std::move(std::get<0>(accepted));
    if (ec) co_return proto::Error{proto::ErrorCode::internal, "login listener stopped: " + ec.message()};
    // One connection at a time is enough for one user's browser, and keeps a stray client from
    // opening many; each is bounded by kPerConnectionTimeout.
    auto outcome = co_await serve_one(std::move(socket), expected_state);
    if (outcome.kind == Outcome::Kind::code) co_return std::move(outcome.value);
    if (outcome.kind == Outcome::Kind::denied) {
      auto error = sanitize_server_text(outcome.value.empty() ? "unknown_error" : outcome.value);
      co_return proto::Error{proto::ErrorCode::permission_denied, "the authorization server refused the login (" + error + ")"};
    }
  }
}

}  // namespace agentd::oauth
