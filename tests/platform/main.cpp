// fluxloop-platform: the HTTPS front end of the platform emulator. This is the ONLY translation
// unit that includes Asio/Beast/SSL (it costs ~45 s at -O2); all OAuth/API behaviour lives in the
// plain C++ state machine behind platform::Emulator. One io_context on one thread, one coroutine
// per connection, so the state machine needs no locks.
#include <signal.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "tests/platform/emulator.hpp"
#include "tests/platform/options.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kHandshakeTimeout = 10s;
constexpr auto kReadTimeout = 30s;   // idle keep-alive plus reading one whole request
constexpr auto kWriteTimeout = 15s;
constexpr auto kShutdownTimeout = 2s;
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr int kMaxConnections = 512;
constexpr auto kAcceptErrorBackoff = 100ms;

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
using Stream = beast::ssl_stream<beast::tcp_stream>;

struct Server {
  platform::Emulator& emulator;
  ssl::context& tls;
  bool quiet = false;
  int live_connections = 0;
};

bool is_loopback(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  return a.is_loopback();
}

platform::HttpRequest to_plain(const http::request<http::string_body>& req, bool loopback) {
  platform::HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace(std::move(name), std::string(field.value()));  // first occurrence wins
  }
  out.body = req.body();
  out.peer_is_loopback = loopback;
  return out;
}

http::response<http::string_body> to_beast(const platform::HttpResponse& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(r.status));
  res.set(http::field::server, "fluxloop-platform");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

void log_line(const Server& server, const std::string& method, const std::string& target, int status) {
  if (server.quiet) return;
  // Path only: query strings carry authorization codes and states; bodies carry tokens.
  std::cerr << "fluxloop-platform: " << method << ' ' << target.substr(0, target.find('?')).substr(0, 200) << ' '
            << status << '\n';
}

// Closes with SO_LINGER 0 so the peer sees a TCP RST, not an orderly close: the "reset" fault.
void reset_connection(Stream& stream) {
  boost::system::error_code ec;
  auto& socket = beast::get_lowest_layer(stream).socket();
  socket.set_option(asio::socket_base::linger(true, 0), ec);
  socket.close(ec);
}

asio::awaitable<void> send_error(Stream& stream, unsigned version, http::status status, std::string_view body) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::server, "fluxloop-platform");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = std::string(body);
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
  co_await http::async_write(stream, res, tuple_awaitable);
}

asio::awaitable<void> session(Server& server, Stream stream, bool loopback) {
  ++server.live_connections;
  struct Leave {
    int& n;
    ~Leave() { --n; }
  } leave{server.live_connections};

  beast::get_lowest_layer(stream).expires_after(kHandshakeTimeout);
  if (auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, tuple_awaitable); ec) co_return;

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    beast::get_lowest_layer(stream).expires_after(kReadTimeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, tuple_awaitable);
    if (!hec && !parser.is_done()) {
      if (parser.get()[http::field::expect] == "100-continue") {
        http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
        co_await http::async_write(stream, cont, tuple_awaitable);
      }
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, tuple_awaitable);
      hec = bec;
    }
    if (hec) {
      // Too big or unparsable: answer once and close; timeouts, EOF and TLS errors: just close.
      if (hec == http::error::body_limit || hec == http::error::header_limit || hec == http::error::buffer_overflow) {
        co_await send_error(stream, 11, http::status::payload_too_large,
                            R"({"error":"invalid_request","error_description":"request too large"})");
      } else if (hec.category() == http::make_error_code(http::error::bad_target).category() &&
                 hec != http::error::end_of_stream && hec != http::error::partial_message) {
        co_await send_error(stream, 11, http::status::bad_request,
                            R"({"error":"invalid_request","error_description":"malformed HTTP request"})");
      }
      break;
    }

    const auto& req = parser.get();
    platform::HttpRequest plain = to_plain(req, loopback);
    platform::Outcome outcome = server.emulator.handle(plain);
    if (outcome.action == platform::Outcome::Action::reset) {
      log_line(server, plain.method, plain.target, 0);
      reset_connection(stream);
      co_return;
    }
    if (outcome.action == platform::Outcome::Action::delay_then_handle) {
      asio::steady_timer timer(co_await asio::this_coro::executor, outcome.delay);
      co_await timer.async_wait(tuple_awaitable);
      outcome.response = server.emulator.handle_without_faults(plain);
    }
    auto res = to_beast(outcome.response, req.version(), req.keep_alive());
    if (req.method() == http::verb::head) res.body().clear();  // keep Content-Length, send no body
    log_line(server, plain.method, plain.target, outcome.response.status);
    beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
    if (auto [wec, wn] = co_await http::async_write(stream, res, tuple_awaitable); wec) co_return;
    if (!res.keep_alive()) break;
  }
  beast::get_lowest_layer(stream).expires_after(kShutdownTimeout);
  co_await stream.async_shutdown(tuple_awaitable);
}

asio::awaitable<void> accept_loop(Server& server, tcp::acceptor& acceptor) {
  auto executor = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(tuple_awaitable);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off instead of spinning; the connections in flight keep going.
      asio::steady_timer timer(executor, kAcceptErrorBackoff);
      co_await timer.async_wait(tuple_awaitable);
      continue;
    }
    if (server.live_connections >= kMaxConnections) continue;  // `socket` closes on scope exit
    boost::system::error_code rec;
    auto remote = socket.remote_endpoint(rec);
    const bool loopback = !rec && is_loopback(remote.address());
    server.emulator.note_connection();
    asio::co_spawn(executor, session(server, Stream(beast::tcp_stream(std::move(socket)), server.tls), loopback),
                   [](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& x) {
                       std::cerr << "fluxloop-platform: connection error: " << x.what() << '\n';
                     }
                   });
  }
}

// Writes `port` to `path` via a temporary file and rename, so a reader never sees a partial number.
bool write_port_file(const std::string& path, unsigned short port) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << '\n';
    out.flush();
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = platform::parse_options(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  platform::Options& options = std::get<platform::Options>(parsed);
  ::signal(SIGPIPE, SIG_IGN);

  try {
    // Declared before the io_context: its destructor destroys the coroutine frames still pending,
    // which refer to the TLS context, the emulator and the server.
    ssl::context tls(ssl::context::tls_server);
    std::unique_ptr<platform::Emulator> emulator;
    std::unique_ptr<Server> server;
    asio::io_context io(1);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.use_certificate_chain_file(options.cert);
    tls.use_private_key_file(options.key, ssl::context::pem);

    const auto address = asio::ip::make_address(options.host);
    tcp::acceptor acceptor(io);
    tcp::endpoint endpoint(address, options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    const unsigned short port = acceptor.local_endpoint().port();

    const std::string authority = (address.is_v6() ? "[" + options.host + "]" : options.host) + ":" + std::to_string(port);
    options.config.default_authority = authority;
    emulator = std::make_unique<platform::Emulator>(options.config);
    server.reset(new Server{*emulator, tls, options.quiet});

    if (!options.port_file.empty() && !write_port_file(options.port_file, port)) {
      std::cerr << "fluxloop-platform: cannot write the port file " << options.port_file << '\n';
      return 1;
    }
    std::cout << "listening on https://" << authority << std::endl;

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      boost::system::error_code ignored;
      acceptor.close(ignored);
      io.stop();
    });
    asio::co_spawn(io, accept_loop(*server, acceptor), asio::detached);
    io.run();
  } catch (const std::exception& e) {
    // Start-up failures only (bad certificate, key, address, port in use).
    std::cerr << "fluxloop-platform: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
