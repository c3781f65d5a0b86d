// The HTTPS client against a real TLS server (tests/support/tls_server.py) with a test CA.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "agentd/http/https_client.hpp"
#include "tests/unit/agentd/http/tls_fixture.hpp"

namespace {

using agentd::http::Client;
using agentd::http::ClientOptions;
using agentd::http::Request;
using agentd::http::Response;
using proto::ErrorCode;
using namespace std::chrono_literals;

// Sent with every failing request: no error message may contain any of it.
constexpr const char* kSecretBody = "refresh_token=SECRET-BODY-7f3a9c";
constexpr const char* kSecretBearer = "Bearer SECRET-TOKEN-b81e22";

ClientOptions trusted(std::chrono::milliseconds total = 5s) {
  ClientOptions options;
  options.ca_bundle = tlstest::ca_bundle();
  options.connect_timeout = 3s;
  options.total_timeout = total;
  return options;
}

Request post(std::string url) {
  Request request;
  request.method = "POST";
  request.url = std::move(url);
  request.body = kSecretBody;
  request.content_type = "application/x-www-form-urlencoded";
  request.headers.emplace_back("Authorization", kSecretBearer);
  return request;
}

// Sends one request on a fresh io_context and client.
proto::Result<Response> send(ClientOptions options, Request request) {
  return tlstest::run([](ClientOptions o, Request r) -> boost::asio::awaitable<proto::Result<Response>> {
    Client client(co_await boost::asio::this_coro::executor, std::move(o));
    co_return co_await client.send(std::move(r));
  }(std::move(options), std::move(request)));
}

void check_no_secret(const proto::Error& error) {
  CAPTURE(error.message);
  CHECK(error.message.find("SECRET-BODY") == std::string::npos);
  CHECK(error.message.find("SECRET-TOKEN") == std::string::npos);
  CHECK(error.message.find("refresh_token") == std::string::npos);
}

proto::Error expect_error(const proto::Result<Response>& result, ErrorCode code) {
  REQUIRE_FALSE(result.ok());
  CAPTURE(result.error().message);
  CHECK(result.error().code == code);
  check_no_secret(result.error());
  return result.error();
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("https: a trusted request succeeds and sends Host with port, User-Agent, body") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  Request request = post(server.url("/ok"));
  auto result = send(trusted(), request);
  REQUIRE(result.ok());
  CHECK(result->status == 200);
  CHECK(result->header("content-type") == "application/json");
  const auto seen = nlohmann::json::parse(result->body);
  CHECK(seen["method"] == "POST");
  CHECK(seen["host"] == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(seen["user_agent"] == std::string("fluxloop-agentd/") + FLUXLOOP_VERSION);
  CHECK(seen["content_type"] == "application/x-www-form-urlencoded");
  CHECK(seen["accept"] == "application/json");
  CHECK(seen["connection"] == "close");
  CHECK(seen["body_length"] == std::string(kSecretBody).size());
}

TEST_CASE("https: host names are verified and sent as SNI (localhost)") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  Request request;
  request.url = server.url("/ok", "localhost");
  auto result = send(trusted(), request);
  REQUIRE(result.ok());
  CHECK(nlohmann::json::parse(result->body)["host"] == "localhost:" + std::to_string(server.port()));
}

TEST_CASE("https: IPv6 literal with brackets") {
  tlstest::TlsServer server("server", "::1");
  if (!server.started()) {
    MESSAGE("no IPv6 loopback here; skipped");
    return;
  }
  Request request;
  request.url = server.url("/ok", "[::1]");
  auto result = send(trusted(), request);
  REQUIRE(result.ok());
  CHECK(nlohmann::json::parse(result->body)["host"] == "[::1]:" + std::to_string(server.port()));
}

TEST_CASE("https: an unknown CA fails with the FLUXLOOP_CA_BUNDLE hint") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  ClientOptions options = trusted();
  options.ca_bundle.clear();  // system store only: the test CA is unknown
  const auto error = expect_error(send(options, post(server.url("/ok"))), ErrorCode::network);
  CHECK(contains(error.message, "TLS certificate verification failed for 127.0.0.1: "));
  CHECK(contains(error.message, "unable to get local issuer certificate"));
  CHECK(contains(error.message, "point FLUXLOOP_CA_BUNDLE at its CA"));
}

TEST_CASE("https: a self-signed certificate is refused even with a CA bundle") {
  auto& server = tlstest::shared_server("self-signed");
  REQUIRE(server.started());
  const auto error = expect_error(send(trusted(), post(server.url("/ok"))), ErrorCode::network);
  CHECK(contains(error.message, "TLS certificate verification failed"));
  CHECK(contains(error.message, "self-signed"));
}

TEST_CASE("https: a certificate for another host is refused (IP literal and host name)") {
  auto& server = tlstest::shared_server("wrong-host");  // issued by the trusted CA, but for wrong-host.invalid only
  REQUIRE(server.started());
  auto error = expect_error(send(trusted(), post(server.url("/ok"))), ErrorCode::network);
  CHECK(contains(error.message, "TLS certificate verification failed for 127.0.0.1: IP address mismatch"));
  error = expect_error(send(trusted(), post(server.url("/ok", "localhost"))), ErrorCode::network);
  CHECK(contains(error.message, "TLS certificate verification failed for localhost: hostname mismatch"));
}

TEST_CASE("https: http:// is refused before any connection") {
  const auto error = expect_error(send(trusted(), post("http://127.0.0.1:1/token?x=SECRET-TOKEN")), ErrorCode::invalid_argument);
  CHECK(contains(error.message, "refusing insecure http:// URL http://127.0.0.1:1/token"));
  CHECK(contains(error.message, "must use https"));
}

TEST_CASE("https: a missing CA bundle is reported by send()") {
  ClientOptions options = trusted();
  options.ca_bundle = "/nonexistent/ca.pem";
  const auto error = expect_error(send(options, post("https://127.0.0.1:1/")), ErrorCode::invalid_argument);
  CHECK(contains(error.message, "FLUXLOOP_CA_BUNDLE /nonexistent/ca.pem"));
}

TEST_CASE("https: the total timeout is honoured within a small margin") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  const auto start = std::chrono::steady_clock::now();
  const auto error = expect_error(send(trusted(600ms), post(server.url("/slow?s=5"))), ErrorCode::network);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(contains(error.message, "timed out after 600 ms"));
  CHECK(elapsed >= 600ms);
  CHECK(elapsed < 1500ms);
}

TEST_CASE("https: a peer that accepts TCP but never speaks TLS times out") {
  // A listening socket nobody accepts on: the kernel completes the TCP handshake, TLS never starts.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 4) == 0);
  socklen_t length = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  const auto start = std::chrono::steady_clock::now();
  const auto error = expect_error(send(trusted(400ms), post("https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/")),
                                  ErrorCode::network);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  CHECK(contains(error.message, "TLS handshake with https://127.0.0.1:"));
  CHECK(contains(error.message, "timed out after 400 ms"));
  // The message proves which deadline fired; this only proves the call did not hang (a loaded machine
  // or a sanitizer build runs late, so no tight bound: speed lives in bench/).
  CHECK(elapsed < 10s);
}

TEST_CASE("https: connection refused is a network error") {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t length = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  const auto port = ntohs(addr.sin_port);
  close(fd);  // bound, never listened, now closed: nothing listens on that port
  const auto error = expect_error(send(trusted(), post("https://127.0.0.1:" + std::to_string(port) + "/")), ErrorCode::network);
  CHECK(contains(error.message, "cannot connect to 127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("https: unresolvable host names are network errors") {
  const auto error = expect_error(send(trusted(), post("https://no-such-host.invalid/")), ErrorCode::network);
  CHECK((contains(error.message, "cannot resolve no-such-host.invalid") || contains(error.message, "timed out")));
}

TEST_CASE("https: the response size cap is enforced (Content-Length and chunked)") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  for (const char* path : {"/big", "/big-chunked"}) {
    CAPTURE(path);
    const auto error = expect_error(send(trusted(), post(server.url(path))), ErrorCode::server_error);
    CHECK(contains(error.message, "is larger than the 1048576-byte limit"));
  }
  ClientOptions roomy = trusted();
  roomy.max_response_bytes = 4 * 1024 * 1024;
  auto result = send(roomy, post(server.url("/big")));
  REQUIRE(result.ok());
  CHECK(result->body.size() == 2 * 1024 * 1024);
}

TEST_CASE("https: a reset or closed connection is a network error") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  auto error = expect_error(send(trusted(), post(server.url("/reset"))), ErrorCode::network);
  CHECK((contains(error.message, "connection reset by 127.0.0.1") || contains(error.message, "connection closed by")));
  error = expect_error(send(trusted(), post(server.url("/close"))), ErrorCode::network);
  CHECK(contains(error.message, "before a complete response"));
}

TEST_CASE("https: a non-HTTP answer is a server_error") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  const auto error = expect_error(send(trusted(), post(server.url("/garbage"))), ErrorCode::server_error);
  CHECK(contains(error.message, "malformed HTTP response from https://127.0.0.1:"));
}

TEST_CASE("https: error statuses are responses, Retry-After parsed (seconds and HTTP-date)") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  auto result = send(trusted(), post(server.url("/retry")));
  REQUIRE(result.ok());
  CHECK(result->status == 503);
  REQUIRE(result->retry_after.has_value());
  CHECK(*result->retry_after == 7s);
  CHECK(contains(result->body, "temporarily_unavailable"));

  result = send(trusted(), post(server.url("/retry-date")));
  REQUIRE(result.ok());
  CHECK(result->status == 429);
  REQUIRE(result->retry_after.has_value());
  CHECK(*result->retry_after >= 27s);
  CHECK(*result->retry_after <= 31s);

  result = send(trusted(), post(server.url("/status/404")));
  REQUIRE(result.ok());
  CHECK(result->status == 404);
  CHECK_FALSE(result->retry_after.has_value());
}

TEST_CASE("https: concurrent requests on one client, destroying the client mid-request is safe") {
  auto& server = tlstest::shared_server();
  REQUIRE(server.started());
  boost::asio::io_context io;
  int done = 0;
  bool slow_finished = false;
  {
    Client client(io.get_executor(), trusted(1s));
    for (int i = 0; i < 4; ++i) {
      boost::asio::co_spawn(io, client.send(post(server.url("/ok"))), [&](std::exception_ptr e, proto::Result<Response> r) {
        REQUIRE_FALSE(e);
        CHECK(r.ok());
        ++done;
      });
    }
    // Outlives the Client object: it must keep its TLS context alive and end by its deadline.
    boost::asio::co_spawn(io, client.send(post(server.url("/slow?s=5"))), [&](std::exception_ptr e, proto::Result<Response> r) {
      REQUIRE_FALSE(e);
      CHECK_FALSE(r.ok());
      slow_finished = true;
    });
  }
  io.run();
  CHECK(done == 4);
  CHECK(slow_finished);
}
