// fluxloop-https-helper: the agent's HTTPS requests, in a process of their own (docs/security.md
// "Helper processes"). Started by the agent with one end of a socketpair as stdin; reads framed JSON
// requests (agentd/helpers/wire.hpp), runs any number at once, answers each with its id. Exits when
// the agent closes the socket (idle, shutdown) or dies. OpenSSL and the parsed CA store live here,
// not in the idle agent.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <deque>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "agentd/helpers/wire.hpp"
#include "agentd/https_helper/fetch.hpp"
#include "agentd/util/json_wipe.hpp"
#include "proto/base64.hpp"
#include "proto/mask.hpp"

namespace {

namespace asio = boost::asio;
namespace helpers = agentd::helpers;
using agentd::https_helper::Limits;
using nlohmann::json;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

struct Session {
  explicit Session(asio::io_context& io) : socket(io) {}
  asio::local::stream_protocol::socket socket;
  agentd::https_helper::Contexts contexts;
  std::deque<std::string> outbox;
  bool writing = false;
};

asio::awaitable<void> write_loop(Session& session) {
  while (!session.outbox.empty()) {
    auto [ec, written] = co_await asio::async_write(session.socket, asio::buffer(session.outbox.front()), kUseTuple);
    proto::wipe(session.outbox.front());
    session.outbox.pop_front();
    if (ec) break;
  }
  session.writing = false;
}

void reply(Session& session, json message) {
  session.outbox.push_back(helpers::encode_frame(message));
  agentd::util::wipe_json(message);
  if (session.writing) return;
  session.writing = true;
  asio::co_spawn(session.socket.get_executor(), write_loop(session), asio::detached);
}

json error_reply(const json& id, const proto::Error& error) {
  return {{"id", id}, {"ok", false}, {"code", proto::to_string(error.code)}, {"message", error.message}};
}

// A malformed request is the agent's bug; answered as invalid_argument all the same.
proto::Result<std::pair<agentd::http::Request, Limits>> decode(const json& message) {
  try {
    agentd::http::Request request;
    request.method = message.at("method").get<std::string>();
    request.url = message.at("url").get<std::string>();
    for (const auto& header : message.at("headers")) {
      request.headers.emplace_back(header.at(0).get<std::string>(), header.at(1).get<std::string>());
    }
    auto body = proto::base64_decode(message.at("body").get_ref<const std::string&>());
    if (!body) throw std::invalid_argument("body");
    request.body = std::move(*body);
    request.content_type = message.at("content_type").get<std::string>();
    Limits limits;
    limits.ca_bundle = message.at("ca_bundle").get<std::string>();
    limits.connect_timeout = std::chrono::milliseconds(message.at("connect_ms").get<std::int64_t>());
    limits.total_timeout = std::chrono::milliseconds(message.at("total_ms").get<std::int64_t>());
    limits.max_response_bytes = message.at("max_bytes").get<std::size_t>();
    return std::pair{std::move(request), std::move(limits)};
  } catch (const std::exception&) {
    return proto::Error{proto::ErrorCode::invalid_argument, "malformed request to the HTTPS helper"};
  }
}

asio::awaitable<void> handle(Session& session, json message) {
  agentd::util::JsonWiper wipe{message};
  const json id = message.value("id", json());
  auto decoded = decode(message);
  if (!decoded) {
    reply(session, error_reply(id, decoded.error()));
    co_return;
  }
  auto& [request, limits] = *decoded;
  proto::WipeOnExit wipe_body{request.body};
  auto response = co_await agentd::https_helper::fetch(session.socket.get_executor(), session.contexts, std::move(request),
                                                       std::move(limits));
  if (!response) {
    reply(session, error_reply(id, response.error()));
    co_return;
  }
  json headers = json::array();
  for (const auto& [name, value] : response->headers) headers.push_back({name, value});
  reply(session, {{"id", id}, {"ok", true}, {"status", response->status}, {"headers", std::move(headers)},
                  {"body", proto::base64_encode(response->body)}});
  proto::wipe(response->body);
}

asio::awaitable<void> read_loop(Session& session, asio::io_context& io) {
  std::string body;
  for (;;) {
    std::array<unsigned char, 4> header{};
    auto [header_ec, header_read] = co_await asio::async_read(session.socket, asio::buffer(header), kUseTuple);
    if (header_ec) break;
    auto length = helpers::frame_length(header);
    if (!length) break;
    body.resize(*length);
    auto [body_ec, body_read] = co_await asio::async_read(session.socket, asio::buffer(body), kUseTuple);
    if (body_ec) break;
    auto message = json::parse(body, nullptr, false);
    proto::wipe(body);
    if (message.is_discarded() || !message.is_object()) break;
    asio::co_spawn(io, handle(session, std::move(message)), asio::detached);
  }
  // The agent closed its end (idle or shutdown) or died: nobody is left to answer.
  io.stop();
}

}  // namespace

int main() {
  if (!helpers::start_helper("fluxloop-https-helper")) return 2;
  asio::io_context io(1);
  Session session(io);
  boost::system::error_code ec;
  session.socket.assign(asio::local::stream_protocol(), STDIN_FILENO, ec);
  if (ec) {
    std::fprintf(stderr, "fluxloop-https-helper: stdin is not the agent's socket: %s\n", ec.message().c_str());
    return 2;
  }
  asio::co_spawn(io, read_loop(session, io), asio::detached);
  io.run();
  // Requests still in flight refer to the session: end here rather than unwind them.
  std::fflush(nullptr);
  ::_exit(0);
}
