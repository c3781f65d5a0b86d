// Exit codes: agent errors via proto::exit_code_for, transport failures 4 (CONTRACT.md "Exit codes").
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "client/agent_connection.hpp"
#include "client/outcome.hpp"
#include "proto/codec.hpp"

namespace {

using client::FailureKind;
using proto::ErrorCode;

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "fluxloop-unit-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

int bound_socket(const std::string& path, bool listening) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  if (listening) REQUIRE(::listen(fd, 4) == 0);
  return fd;
}

// A one-shot fake agent: accepts one connection, reads one frame, answers with `reply(id)`.
template <typename MakeReply>
std::thread serve_once(int listener, MakeReply reply) {
  return std::thread([listener, reply] {
    int c = ::accept(listener, nullptr, nullptr);
    unsigned char header[4];
    REQUIRE(::recv(c, header, 4, MSG_WAITALL) == 4);
    std::size_t len = (std::size_t(header[0]) << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
    std::string body(len, '\0');
    REQUIRE(::recv(c, body.data(), len, MSG_WAITALL) == static_cast<ssize_t>(len));
    auto decoded = proto::decode_request(body);
    REQUIRE(std::holds_alternative<proto::RequestFrame>(decoded));
    const std::string frame = reply(std::get<proto::RequestFrame>(decoded).id);
    if (!frame.empty()) ::send(c, frame.data(), frame.size(), MSG_NOSIGNAL);
    ::close(c);
  });
}

}  // namespace

TEST_CASE("agent error codes map to the contract's exit codes") {
  CHECK(client::failure_from_agent({ErrorCode::login_required, "m"}).exit_code == proto::kExitLoginRequired);
  CHECK(client::failure_from_agent({ErrorCode::permission_denied, "m"}).exit_code == proto::kExitPermissionDenied);
  CHECK(client::failure_from_agent({ErrorCode::network, "m"}).exit_code == proto::kExitNetwork);
  CHECK(client::failure_from_agent({ErrorCode::server_error, "m"}).exit_code == proto::kExitNetwork);
  CHECK(client::failure_from_agent({ErrorCode::timeout, "m"}).exit_code == proto::kExitNetwork);
  for (auto code : {ErrorCode::bad_request, ErrorCode::invalid_argument, ErrorCode::no_such_profile, ErrorCode::profile_exists,
                    ErrorCode::store_error, ErrorCode::locked, ErrorCode::busy, ErrorCode::internal}) {
    CHECK(client::failure_from_agent({code, "m"}).exit_code == proto::kExitError);
  }
  auto f = client::failure_from_agent({ErrorCode::login_required, "run `fluxloop auth login --profile staging`"});
  CHECK(f.message == "run `fluxloop auth login --profile staging`");  // the agent's next step, untouched
  CHECK(f.kind == FailureKind::agent);
  // An agent from another release: say how to replace it.
  CHECK(client::failure_from_agent({ErrorCode::unknown_op, "unknown op"}).message.find("fluxloop agent stop") != std::string::npos);
}

TEST_CASE("nobody listening is exit 4, kind no_listener (autostart may help)") {
  const std::string dir = temp_dir();
  auto missing = client::AgentConnection::open(dir + "/absent.sock");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().exit_code == proto::kExitUnreachable);
  CHECK(missing.error().kind == FailureKind::no_listener);
  CHECK(missing.error().message.find(dir + "/absent.sock") != std::string::npos);

  // A stale socket file from a dead agent: bound, not listening -> ECONNREFUSED.
  int stale = bound_socket(dir + "/stale.sock", false);
  auto refused = client::AgentConnection::open(dir + "/stale.sock");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == FailureKind::no_listener);
  CHECK(refused.error().exit_code == proto::kExitUnreachable);
  ::close(stale);

  auto too_long = client::AgentConnection::open("/" + std::string(200, 'x'));
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().kind == FailureKind::unreachable);
  CHECK(too_long.error().exit_code == proto::kExitUnreachable);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a reply and an error reply over a real socket") {
  const std::string dir = temp_dir();
  const std::string path = dir + "/agent.sock";
  int listener = bound_socket(path, true);

  auto server = serve_once(listener, [](std::uint64_t id) {
    return proto::encode_reply(id, proto::TokenReply{.profile = "production", .token = "tok", .expires_at = ""});
  });
  {
    auto connection = client::AgentConnection::open(path);
    REQUIRE(connection.ok());
    auto reply = connection->call(proto::GetToken{.profile = "production", .min_valid = 0}, 5000);
    REQUIRE(reply.ok());
    CHECK(reply->token == "tok");
  }
  server.join();

  server = serve_once(listener, [](std::uint64_t id) {
    return proto::encode_error(id, {ErrorCode::login_required, "run `fluxloop auth login --profile staging`"});
  });
  {
    auto connection = client::AgentConnection::open(path);
    REQUIRE(connection.ok());
    auto reply = connection->call(proto::GetToken{.profile = "staging", .min_valid = 0}, 5000);
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().exit_code == proto::kExitLoginRequired);
    CHECK(reply.error().message.find("fluxloop auth login --profile staging") != std::string::npos);
  }
  server.join();

  // The agent hangs up without answering: exit 4, not a crash or a hang.
  server = serve_once(listener, [](std::uint64_t) { return std::string(); });
  {
    auto connection = client::AgentConnection::open(path);
    REQUIRE(connection.ok());
    auto reply = connection->call(proto::AgentStatus{}, 5000);
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().exit_code == proto::kExitUnreachable);
    CHECK(reply.error().message.find(path) != std::string::npos);
  }
  server.join();
  ::close(listener);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an agent that never answers times out with exit 4") {
  const std::string dir = temp_dir();
  const std::string path = dir + "/agent.sock";
  int listener = bound_socket(path, true);  // listens, never accepts: the request sits in the backlog
  auto connection = client::AgentConnection::open(path);
  REQUIRE(connection.ok());
  auto reply = connection->call(proto::AgentStatus{}, 200);
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.error().exit_code == proto::kExitUnreachable);
  CHECK(reply.error().message.find("did not answer") != std::string::npos);
  ::close(listener);
  std::filesystem::remove_all(dir);
}
