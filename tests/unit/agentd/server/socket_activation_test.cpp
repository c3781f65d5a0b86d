#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "agentd/server/socket_activation.hpp"
#include "tests/unit/agentd/server/socket_helpers.hpp"

using agentd::server::is_listening_unix_stream;
using agentd::server::parse_listen_fds;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("socket activation: LISTEN_PID of our pid and a count pass that many descriptors") {
  auto one = parse_listen_fds("4242", "1", 4242);
  REQUIRE(one);
  CHECK(*one == 1);
  auto three = parse_listen_fds("4242", "3", 4242);
  REQUIRE(three);
  CHECK(*three == 3);
}

TEST_CASE("socket activation: variables unset or for another process pass nothing") {
  CHECK(*parse_listen_fds(nullptr, nullptr, 4242) == 0);
  CHECK(*parse_listen_fds(nullptr, "1", 4242) == 0);
  CHECK(*parse_listen_fds("4242", nullptr, 4242) == 0);
  // Inherited from an activated parent: not for us, and not an error (sd_listen_fds returns 0).
  CHECK(*parse_listen_fds("1", "1", 4242) == 0);
  CHECK(*parse_listen_fds("4243", "garbage", 4242) == 0);
}

TEST_CASE("socket activation: malformed LISTEN_PID or LISTEN_FDS is an error naming the variable") {
  for (const char* pid : {"", "abc", "42x", "0", "-5", "99999999999999999999"}) {
    auto r = parse_listen_fds(pid, "1", 4242);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == proto::ErrorCode::invalid_argument);
    CHECK_MESSAGE(contains(r.error().message, "LISTEN_PID"), r.error().message);
  }
  for (const char* count : {"", "x", "1x", "0", "-1", "2147483645", "99999999999999999999"}) {
    auto r = parse_listen_fds("4242", count, 4242);
    REQUIRE_FALSE(r);
    CHECK_MESSAGE(contains(r.error().message, "LISTEN_FDS"), r.error().message);
  }
  // The largest count whose descriptors still fit an int.
  CHECK(*parse_listen_fds("4242", "2147483644", 4242) == 2147483644);
}

TEST_CASE("socket activation: take_listen_fds unsets the variables even when they are not for us") {
  ::setenv("LISTEN_PID", "1", 1);
  ::setenv("LISTEN_FDS", "1", 1);
  ::setenv("LISTEN_FDNAMES", "agent", 1);
  auto r = agentd::server::take_listen_fds();
  REQUIRE(r);
  CHECK(*r == 0);
  CHECK(std::getenv("LISTEN_PID") == nullptr);
  CHECK(std::getenv("LISTEN_FDS") == nullptr);
  CHECK(std::getenv("LISTEN_FDNAMES") == nullptr);

  ::setenv("LISTEN_PID", "bad", 1);
  ::setenv("LISTEN_FDS", "1", 1);
  CHECK_FALSE(agentd::server::take_listen_fds());
  CHECK(std::getenv("LISTEN_PID") == nullptr);
  CHECK(std::getenv("LISTEN_FDS") == nullptr);
}

TEST_CASE("socket activation: only a listening Unix stream socket is accepted") {
  servertest::TempDir dir;
  const std::string path = dir.path() + "/s.sock";
  agentd::util::UniqueFd listening(::socket(AF_UNIX, SOCK_STREAM, 0));
  auto address = servertest::address_of(path);
  REQUIRE(::bind(listening.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  auto before = is_listening_unix_stream(listening.get());
  REQUIRE(before);
  CHECK_FALSE(*before);  // bound, not listening yet
  REQUIRE(::listen(listening.get(), 1) == 0);
  CHECK(*is_listening_unix_stream(listening.get()));

  agentd::util::UniqueFd datagram(::socket(AF_UNIX, SOCK_DGRAM, 0));
  CHECK_FALSE(*is_listening_unix_stream(datagram.get()));
  agentd::util::UniqueFd inet(::socket(AF_INET, SOCK_STREAM, 0));
  REQUIRE(::listen(inet.get(), 1) == 0);  // listens on an ephemeral port of all addresses
  CHECK_FALSE(*is_listening_unix_stream(inet.get()));
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  agentd::util::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  CHECK_FALSE(*is_listening_unix_stream(read_end.get()));
  CHECK_FALSE(is_listening_unix_stream(-1));  // not a descriptor: an error, not a "no"
}
