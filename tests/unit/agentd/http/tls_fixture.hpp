// Test fixture for HTTP-level tests: a throw-away test PKI (tests/platform/make-test-ca.sh) and a
// real HTTPS server (tests/support/tls_server.py) in a child process, plus a way to drive awaitables.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace tlstest {

// Directory with ca.pem, server.pem (127.0.0.1, ::1, localhost), wrong-host.pem (only
// wrong-host.invalid) and self-signed.pem, generated once per test process, removed at exit.
const std::string& pki_dir();
// pki_dir()/ca.pem: what tests pass as ClientOptions::ca_bundle.
std::string ca_bundle();

// tls_server.py serving `cert` ("server", "wrong-host", "self-signed") on `bind_host`, port chosen
// by the kernel. Stopped (stdin closed, then SIGKILL if needed) on destruction.
class TlsServer {
 public:
  explicit TlsServer(std::string_view cert = "server", std::string bind_host = "127.0.0.1");
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  // False when the server did not come up (e.g. no IPv6 on this machine).
  bool started() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  // "https://HOST:PORT/path"; HOST defaults to 127.0.0.1 (use "[::1]" or "localhost" as needed).
  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const;

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::uint16_t port_ = 0;
};

// One server per certificate kind, started on first use and kept for the whole test process
// (python start-up costs ~0.5 s). Tests that stop their server create their own TlsServer.
TlsServer& shared_server(std::string_view cert = "server");

namespace detail {
template <typename T>
boost::asio::awaitable<void> store(boost::asio::awaitable<T> task, std::optional<T>& out) {
  out.emplace(co_await std::move(task));
}
}  // namespace detail

// Runs `task` to completion on a fresh io_context and returns its value (rethrows its exception).
template <typename T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(io, detail::store(std::move(task), out), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  io.run();
  return std::move(*out);
}

}  // namespace tlstest
