// The agent's side of HTTPS: requests go to fluxloop-https-helper over a socketpair (agentd/helpers),
// which does DNS, TLS and HTTP (agentd/https_helper/fetch.cpp). No Beast or OpenSSL SSL header here.
#include "agentd/http/https_client.hpp"

#include <cstdlib>

#include "agentd/helpers/channel.hpp"
#include "agentd/http/url.hpp"
#include "agentd/util/json_wipe.hpp"
#include "proto/base64.hpp"
#include "proto/mask.hpp"

namespace agentd::http {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

// What the helper may see of our environment: where the system CA store is, and the sanitizers'
// settings in a test build. Never a token: those travel only on the socketpair.
std::vector<std::string> helper_environment() {
  std::vector<std::string> environment;
  helpers::pass_through(environment, {"SSL_CERT_FILE", "SSL_CERT_DIR", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                      "LSAN_OPTIONS", "TSAN_OPTIONS"});
  return environment;
}

json encode(const Request& request, const ClientOptions& options) {
  json headers = json::array();
  for (const auto& [name, value] : request.headers) headers.push_back({name, value});
  return {{"method", request.method},
          {"url", request.url},
          {"headers", std::move(headers)},
          {"body", proto::base64_encode(request.body)},
          {"content_type", request.content_type},
          {"ca_bundle", options.ca_bundle},
          {"connect_ms", options.connect_timeout.count()},
          {"total_ms", options.total_timeout.count()},
          {"max_bytes", options.max_response_bytes}};
}

proto::Result<Response> decode(json& reply) {
  util::JsonWiper wipe{reply};
  const auto malformed = [] { return proto::Error{proto::ErrorCode::network, "the HTTPS helper sent a malformed reply"}; };
  try {
    if (!reply.at("ok").get<bool>()) {
      const auto code = proto::error_code_from_string(reply.at("code").get<std::string>());
      if (!code) return malformed();
      return proto::Error{*code, reply.at("message").get<std::string>()};
    }
    Response response;
    response.status = reply.at("status").get<int>();
    for (const auto& header : reply.at("headers")) {
      response.headers.emplace_back(header.at(0).get<std::string>(), header.at(1).get<std::string>());
    }
    auto body = proto::base64_decode(reply.at("body").get_ref<const std::string&>());
    if (!body) return malformed();
    response.body = std::move(*body);
    if (const auto value = response.header("Retry-After"); !value.empty()) response.retry_after = parse_retry_after(value);
    return response;
  } catch (const json::exception&) {
    return malformed();
  }
}

}  // namespace

struct Client::Impl {
  Impl(asio::any_io_executor executor, ClientOptions opts)
      : options(std::move(opts)),
        helper(std::move(executor), helpers::ChannelOptions{.program = helpers::Program::https,
                                                            .service = "the HTTPS helper",
                                                            .failure_code = proto::ErrorCode::network,
                                                            .advice = "",
                                                            .idle = options.helper_idle}) {}
  ClientOptions options;
  helpers::Channel helper;
};

namespace {

asio::awaitable<proto::Result<Response>> perform(std::shared_ptr<Client::Impl> impl, Request request) {
  proto::WipeOnExit wipe_body{request.body};
  // Checked here too: a bad URL is the caller's error, and needs no helper.
  auto url = parse_https_url(request.url);
  if (!url) co_return std::move(url).error();
  json message = encode(request, impl->options);
  for (auto& header : request.headers) proto::wipe(header.second);
  const auto deadline = impl->options.total_timeout + kHelperSlack;
  auto reply = co_await impl->helper.call(std::move(message), deadline, helper_environment());
  if (!reply) {
    auto error = std::move(reply).error();
    error.message = "request to " + url->display() + " failed: " + error.message;
    co_return error;
  }
  co_return decode(*reply);
}

}  // namespace

ClientOptions options_from_environment() {
  ClientOptions options;
  if (const char* bundle = std::getenv("FLUXLOOP_CA_BUNDLE"); bundle != nullptr) options.ca_bundle = bundle;
  return options;
}

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

Client::~Client() = default;

boost::asio::awaitable<proto::Result<Response>> Client::send(Request request) {
  // Not a coroutine itself: `impl_` is copied now, so the request does not depend on `this`.
  return perform(impl_, std::move(request));
}

const ClientOptions& Client::options() const noexcept { return impl_->options; }

int Client::helper_pid() const { return impl_->helper.pid().value_or(-1); }

}  // namespace agentd::http
