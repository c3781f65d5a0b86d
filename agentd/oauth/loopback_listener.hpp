// The RFC 8252 loopback redirect listener of a browser login: 127.0.0.1, a random port, plain
// HTTP (the one http:// endpoint the security floor allows), one authorization response.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "proto/result.hpp"

namespace agentd::oauth {

class LoopbackListener {
 public:
  // Listens on 127.0.0.1 with a port chosen by the kernel.
  static proto::Result<std::unique_ptr<LoopbackListener>> open(boost::asio::any_io_executor executor);
  ~LoopbackListener();

  // http://127.0.0.1:PORT/callback — the redirect_uri of the authorization request.
  std::string redirect_uri() const;

  // Serves browser requests until one reaches /callback with `expected_state`: answers it with a
  // "you can close this tab" page and returns the authorization code. A wrong state is answered with
  // an error page and ignored (it is not our login); an `error` parameter with the right state ends
  // the login (permission_denied for access_denied). timeout after `deadline`.
  boost::asio::awaitable<proto::Result<std::string>> wait_for_code(std::string expected_state,
                                                                   std::chrono::seconds deadline);
  // Stops listening; a pending wait_for_code() ends with an error.
  void close();

 private:
  struct Impl;
  explicit LoopbackListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace agentd::oauth
