// The only translation unit with Beast and OpenSSL SSL headers (build cost, PLATFORM.md): the HTTPS
// helper's one request over one verified TLS connection. Moved here from the agent (issue 13).
#include "agentd/https_helper/fetch.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "agentd/http/url.hpp"
#include "proto/mask.hpp"

namespace agentd::https_helper {
namespace {

using http::Headers;
using http::HostKind;
using http::Request;
using http::Response;
using http::Url;
using http::parse_https_url;

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;  // all response headers together
constexpr std::size_t kMaxRequestHeaderValue = 16 * 1024;
constexpr std::string_view kUserAgent = "fluxloop-agentd/" FLUXLOOP_VERSION;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Per-request state shared with the watchdog timer's handler, which may run after the coroutine
// has moved on: hence a shared_ptr, and a generation number so a stale expiry does nothing.
struct Connection {
  Connection(const asio::any_io_executor& executor, ssl::context& tls)
      : resolver(executor), stream(executor, tls), watchdog(executor) {}
  tcp::resolver resolver;
  ssl::stream<tcp::socket> stream;
  asio::steady_timer watchdog;
  unsigned generation = 0;
  bool timed_out = false;
};

// One deadline at a time. On expiry the resolver is cancelled and the socket closed, which makes
// whatever operation is pending (DNS, connect, TLS, read, write) complete with an error at once.
void arm(const std::shared_ptr<Connection>& connection, Clock::time_point deadline) {
  const unsigned generation = ++connection->generation;
  connection->watchdog.expires_at(deadline);
  connection->watchdog.async_wait([connection, generation](error_code ec) {
    if (ec || generation != connection->generation) return;
    connection->timed_out = true;
    connection->resolver.cancel();
    error_code ignored;
    connection->stream.lowest_layer().close(ignored);
  });
}

// Disarms on every exit path (also when the coroutine frame is destroyed), breaking the
// connection <-> handler reference cycle.
struct Disarm {
  std::shared_ptr<Connection> connection;
  ~Disarm() {
    ++connection->generation;
    connection->watchdog.cancel();
  }
};

// Request bodies and Authorization headers hold tokens: wipe our copies before freeing them.
struct WipeHeaders {
  Headers& headers;
  ~WipeHeaders() {
    for (auto& header : headers) proto::wipe(header.second);
  }
};

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_safe_value(std::string_view value) {
  return value.size() <= kMaxRequestHeaderValue &&
         std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

proto::Error network(std::string message) { return {proto::ErrorCode::network, std::move(message)}; }
proto::Error server_error(std::string message) { return {proto::ErrorCode::server_error, std::move(message)}; }

std::string timeout_message(const Url& url, std::string_view phase, std::chrono::milliseconds limit) {
  return std::string(phase) + " " + url.display() + " timed out after " + std::to_string(limit.count()) + " ms";
}

proto::Error handshake_error(const Url& url, SSL* ssl, const error_code& ec) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return network("TLS certificate verification failed for " + url.host + ": " +
                   X509_verify_cert_error_string(verify) +
                   "; if this is a private deployment, point FLUXLOOP_CA_BUNDLE at its CA");
  }
  return network("TLS handshake with " + url.host_header() + " failed: " + ec.message());
}

proto::Error read_error(const Url& url, const error_code& ec, std::size_t max_body) {
  if (ec == bhttp::error::body_limit) {
    return server_error("response from " + url.display() + " is larger than the " + std::to_string(max_body) + "-byte limit");
  }
  if (ec == bhttp::error::header_limit) return server_error("response headers from " + url.display() + " are too large");
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
      ec == ssl::error::stream_truncated) {
    // A truncated TLS stream is never taken as the end of a body: that would let an attacker cut it.
    return network("connection closed by " + url.host_header() + " before a complete response");
  }
  if (ec == asio::error::connection_reset) return network("connection reset by " + url.host_header());
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
    return server_error("malformed HTTP response from " + url.display() + ": " + ec.message());
  }
  return network("reading the response from " + url.display() + " failed: " + ec.message());
}

proto::Result<bhttp::request<bhttp::string_body>> build_request(const Request& request, const Url& url) {
  if (request.method.empty() || !std::all_of(request.method.begin(), request.method.end(), is_token_char)) {
    return proto::Error{proto::ErrorCode::invalid_argument, "invalid HTTP method"};
  }
  bhttp::request<bhttp::string_body> out;
  out.version(11);
  out.method_string(request.method);
  out.target(url.target);
  out.set(bhttp::field::host, url.host_header());
  out.set(bhttp::field::user_agent, kUserAgent);
  // One connection per request (documented in docs/https.md): tell the server not to wait for more.
  out.set(bhttp::field::connection, "close");
  bool has_accept = false;
  for (const auto& [name, value] : request.headers) {
    // Only the name is ever quoted: values may be bearer tokens.
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char) || !is_safe_value(value)) {
      return proto::Error{proto::ErrorCode::invalid_argument, "invalid HTTP request header \"" + (is_safe_value(name) ? name : "?") + "\""};
    }
    has_accept = has_accept || boost::beast::iequals(name, "Accept");
    out.insert(name, value);
  }
  if (!has_accept) out.set(bhttp::field::accept, "application/json");
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    if (!request.content_type.empty()) {
      if (!is_safe_value(request.content_type)) return proto::Error{proto::ErrorCode::invalid_argument, "invalid Content-Type"};
      out.set(bhttp::field::content_type, request.content_type);
    }
    out.body() = request.body;
    out.prepare_payload();
  }
  return out;
}

}  // namespace

// The TLS context of one CA bundle: loading the system store costs about 1 MiB, done once per helper.
struct Contexts::Entry {
  explicit Entry(std::string bundle) : ca_bundle(std::move(bundle)), tls(ssl::context::tls_client) {
    SSL_CTX* ctx = tls.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    tls.set_verify_mode(ssl::verify_peer);
    error_code ec;
    tls.set_default_verify_paths(ec);  // no system store is not fatal: the bundle may suffice
    if (!ca_bundle.empty()) {
      std::error_code fs_ec;
      if (!std::filesystem::is_regular_file(ca_bundle, fs_ec)) {
        setup_error = "FLUXLOOP_CA_BUNDLE " + ca_bundle + " does not exist or is not a file";
      } else if (tls.load_verify_file(ca_bundle, ec); ec) {
        setup_error = "FLUXLOOP_CA_BUNDLE " + ca_bundle + " holds no usable PEM certificate: " + ec.message();
      }
    }
  }
  std::string ca_bundle;
  ssl::context tls;
  std::string setup_error;  // set when the CA bundle cannot be used; returned by every request
};

Contexts::Contexts() = default;
Contexts::~Contexts() = default;

Contexts::Entry& Contexts::get(const std::string& ca_bundle) {
  for (auto& entry : entries_) {
    if (entry->ca_bundle == ca_bundle) return *entry;
  }
  return *entries_.emplace_back(std::make_unique<Entry>(ca_bundle));
}

namespace {

asio::awaitable<proto::Result<Response>> perform(asio::any_io_executor executor, Contexts::Entry& context,
                                                 Request request, Limits options) {
  proto::WipeOnExit wipe_body{request.body};
  WipeHeaders wipe_headers{request.headers};
  auto url = parse_https_url(request.url);
  if (!url) co_return std::move(url).error();
  if (!context.setup_error.empty()) co_return proto::Error{proto::ErrorCode::invalid_argument, context.setup_error};
  ssl::context& tls = context.tls;
  auto built = build_request(request, *url);
  if (!built) co_return std::move(built).error();
  auto& message = built.value();
  proto::WipeOnExit wipe_sent{message.body()};

  auto connection = std::make_shared<Connection>(executor, tls);
  Disarm disarm{connection};
  const auto start = Clock::now();
  const auto total_deadline = start + options.total_timeout;
  const auto connect_deadline = std::min(total_deadline, start + options.connect_timeout);
  const auto connect_limit = std::min(options.connect_timeout, options.total_timeout);
  arm(connection, connect_deadline);

  const auto flags = url->host_kind == HostKind::name ? tcp::resolver::numeric_service
                                                     : tcp::resolver::numeric_service | tcp::resolver::numeric_host;
  auto [resolve_ec, endpoints] =
      co_await connection->resolver.async_resolve(url->host, std::to_string(url->port), flags, kUseTuple);
  if (resolve_ec) {
    if (connection->timed_out) co_return network(timeout_message(*url, "resolving", connect_limit));
    co_return network("cannot resolve " + url->host + ": " + resolve_ec.message());
  }
  auto [connect_ec, endpoint] = co_await asio::async_connect(connection->stream.lowest_layer(), endpoints, kUseTuple);
  if (connect_ec) {
    if (connection->timed_out) co_return network(timeout_message(*url, "connecting to", connect_limit));
    co_return network("cannot connect to " + url->host_header() + ": " + connect_ec.message());
  }
  arm(connection, total_deadline);

  SSL* ssl = connection->stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (url->host_kind == HostKind::name) {
    // SNI only for names (RFC 6066 forbids IP literals); the certificate must name the host.
    if (SSL_set_tlsext_host_name(ssl, url->host.c_str()) != 1 || SSL_set1_host(ssl, url->host.c_str()) != 1) {
      co_return network("cannot set up TLS host name verification for " + url->host);
    }
  } else if (X509_VERIFY_PARAM_set1_ip_asc(param, url->host.c_str()) != 1) {
    // An IP literal must appear as an iPAddress SAN; a DNS name matching its text does not count.
    co_return network("cannot set up TLS address verification for " + url->host);
  }
  auto [handshake_ec] = co_await connection->stream.async_handshake(ssl::stream_base::client, kUseTuple);
  if (handshake_ec) {
    if (connection->timed_out) co_return network(timeout_message(*url, "TLS handshake with", options.total_timeout));
    co_return handshake_error(*url, ssl, handshake_ec);
  }

  auto [write_ec, written] = co_await bhttp::async_write(connection->stream, message, kUseTuple);
  if (write_ec) {
    if (connection->timed_out) co_return network(timeout_message(*url, "request to", options.total_timeout));
    co_return network("sending the request to " + url->display() + " failed: " + write_ec.message());
  }

  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(options.max_response_bytes);
  auto [read_ec, read] = co_await bhttp::async_read(connection->stream, buffer, parser, kUseTuple);
  if (read_ec) {
    if (connection->timed_out) co_return network(timeout_message(*url, "request to", options.total_timeout));
    co_return read_error(*url, read_ec, options.max_response_bytes);
  }

  // No TLS close_notify exchange: the body is length-delimited and both sides close the
  // connection; waiting for the peer's close_notify would only add a round trip.
  auto& parsed = parser.get();
  Response response;
  response.status = static_cast<int>(parsed.result_int());
  for (const auto& field : parsed) response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  response.body = std::move(parsed.body());
  co_return response;
}

}  // namespace

asio::awaitable<proto::Result<Response>> fetch(asio::any_io_executor executor, Contexts& contexts, Request request,
                                                Limits limits) {
  // The context outlives the request: entries are never removed while the helper runs.
  auto& context = contexts.get(limits.ca_bundle);
  return perform(std::move(executor), context, std::move(request), std::move(limits));
}

}  // namespace agentd::https_helper
