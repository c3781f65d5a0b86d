#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

#include "client/passphrase.hpp"

namespace {

// A pipe whose read end holds `content` (then end of file).
int pipe_with(const std::string& content) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::write(fds[1], content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fds[1]);
  return fds[0];
}

client::Outcome<client::Passphrase> read_from(const std::string& content) {
  const int fd = pipe_with(content);
  auto result = client::read_passphrase_fd(fd);
  ::close(fd);
  return result;
}

}  // namespace

TEST_CASE("--passphrase-fd: one line, newline removed, and end of file ends it too") {
  auto a = read_from("correct horse\n");
  REQUIRE(a.ok());
  CHECK(a->text() == "correct horse");
  auto b = read_from("no newline");
  REQUIRE(b.ok());
  CHECK(b->text() == "no newline");
  auto c = read_from("first\nsecond\n");
  REQUIRE(c.ok());
  CHECK(c->text() == "first");
  auto d = read_from("crlf\r\n");
  REQUIRE(d.ok());
  CHECK(d->text() == "crlf");
}

TEST_CASE("--passphrase-fd: empty, over-long and unreadable input fail with exit 1, never quoting it") {
  for (const std::string& bad : {std::string(), std::string("\n"), std::string(client::kMaxPassphrase + 1, 'x') + "\n"}) {
    auto r = read_from(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().exit_code == 1);
    CHECK(r.error().message.find("xxxx") == std::string::npos);
  }
  CHECK(read_from(std::string(client::kMaxPassphrase, 'y')).ok());  // the limit itself is fine
  auto closed = client::read_passphrase_fd(9999);
  REQUIRE_FALSE(closed.ok());
  CHECK(closed.error().message.find("--passphrase-fd 9999") != std::string::npos);
}
