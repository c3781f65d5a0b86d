// One HTTPS request in the HTTPS helper: TLS 1.2+, peer verified against the system store plus the
// CA bundle, host name (or IP literal) verified, SNI for names, bounded in time and size. The
// implementation is the only translation unit with Beast and OpenSSL SSL headers.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentd/http/message.hpp"
#include "proto/result.hpp"

namespace agentd::https_helper {

// What the agent's http::ClientOptions says for one request.
struct Limits {
  std::string ca_bundle;  // extra PEM CA file ("" none)
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  std::size_t max_response_bytes = 1024 * 1024;
};

// TLS contexts by CA bundle, created on first use and kept for the helper's life.
class Contexts {
 public:
  Contexts();
  ~Contexts();
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;
  struct Entry;
  Entry& get(const std::string& ca_bundle);

 private:
  std::vector<std::unique_ptr<Entry>> entries_;
};

// Sends `request` on its own connection and reads the whole response (any status). Errors as values,
// with the codes and messages of http::Client::send (https_client.hpp). `contexts` must outlive it.
boost::asio::awaitable<proto::Result<http::Response>> fetch(boost::asio::any_io_executor executor, Contexts& contexts,
                                                            http::Request request, Limits limits);

}  // namespace agentd::https_helper
