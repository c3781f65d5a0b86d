// The agent's HTTPS client: one request per TLS connection, verified, bounded in time and size.
// The TLS work runs in fluxloop-https-helper (agentd/https_helper), started on the first send and
// told to exit after kHelperIdle without requests: the agent itself maps no libssl (issue 13).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/http/message.hpp"
#include "proto/result.hpp"

namespace agentd::http {

// Defaults; ClientOptions overrides them (tests use short ones).
inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{10'000};  // DNS + TCP connect
inline constexpr std::chrono::milliseconds kDefaultTotalTimeout{30'000};    // whole request
inline constexpr std::size_t kDefaultMaxResponseBytes = 1024 * 1024;         // response body cap
// Without requests for this long, the HTTPS helper is told to exit (the next send starts another).
inline constexpr std::chrono::milliseconds kHelperIdle{10'000};
// The agent's own bound on a request is total_timeout plus this (helper start-up, scheduling): past
// it the helper is taken as wedged and killed.
inline constexpr std::chrono::milliseconds kHelperSlack{5'000};

struct ClientOptions {
  std::string ca_bundle;  // extra PEM CA file trusted besides the system store (FLUXLOOP_CA_BUNDLE)
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;
  std::chrono::milliseconds total_timeout = kDefaultTotalTimeout;
  std::size_t max_response_bytes = kDefaultMaxResponseBytes;
  std::chrono::milliseconds helper_idle = kHelperIdle;  // tests shorten it
};

// Defaults plus `ca_bundle` from FLUXLOOP_CA_BUNDLE when that is set and not empty.
ClientOptions options_from_environment();

// An HTTPS/1.1 client. TLS 1.2+, peer verified against the system store plus `ca_bundle`, host name
// (or IP literal) verified, SNI for names. Each send() opens its own connection ("Connection: close"),
// so any number may run concurrently on the executor. The TLS context is shared by all sends.
class Client {
 public:
  // Never throws for a bad CA bundle: that error is returned by every send() instead.
  Client(boost::asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and reads the whole response (any status). Errors as values:
  // invalid_argument (bad or http:// URL), network (DNS, connect, reset, TLS incl. certificate and
  // host-name failures, timeouts, the helper dying or not starting), server_error (malformed HTTP,
  // response over the size cap).
  // No message ever contains the request body, headers or the URL's query. Safe to destroy the
  // Client while sends are in flight (they keep what they need alive).
  boost::asio::awaitable<proto::Result<Response>> send(Request request);

  const ClientOptions& options() const noexcept;
  // The running helper's pid (tests), -1 when none runs.
  int helper_pid() const;

  struct Impl;  // opaque: defined in https_client.cpp, shared with in-flight requests

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace agentd::http
