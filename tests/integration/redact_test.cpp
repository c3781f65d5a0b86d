// `fluxloop redact` with the real client and agent (docs/redact.md): the agent's imported tokens and
// keys never come out, even when the client's reads split them; patterns and config.json; a locked
// agent; large input with bounded memory. Secrets are random per run and never printed.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/client_common.hpp"
#include "proto/base64.hpp"
#include "proto/redact.hpp"
#include "tests/support/platform_fixture.hpp"

using namespace clienttest;  // NOLINT(google-build-using-namespace): the helpers of this suite

namespace {

using namespace std::chrono_literals;

// Whether the agent and client under test are ASan builds: ASan's quarantine keeps freed memory, so
// RSS says nothing there. This driver may be a plain build running sanitized binaries (the ASan stage
// of scripts/test.sh), so the agent's image is asked, not only this compilation.
bool binaries_sanitized() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return testsupport::read_file(testsupport::kAgentd).find("libasan.so") != std::string::npos;
#endif
}
const bool kSanitized = binaries_sanitized();

// What the agent holds in these tests: OAuth tokens (flx_ shaped, so the api_key pattern also sees
// them) and an opaque API key that only exact matching can catch.
struct Held {
  Secrets tokens;
  std::string key = "opaque" + random_hex(30);
};

AgentFixture& with_credentials(AgentFixture& f, const Held& held) {
  const std::string creds = nlohmann::json{{"access_token", held.tokens.access},
                                           {"refresh_token", held.tokens.refresh},
                                           {"expires_at", kFarFuture},
                                           {"api_key", held.key}}
                                .dump();
  auto imported = f.client({"auth", "import", write_creds(f, "creds.json", creds)});
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  return f;
}

void check_nothing_leaked(AgentFixture& f, const Held& held, const std::string& text, const char* where) {
  for (const auto* secret : {&held.tokens.access, &held.tokens.refresh, &held.key}) {
    check_no_secret(text, *secret, where);
    check_no_secret(f.log(), *secret, "the agent log");
    check_no_secret(testsupport::read_file(f.home() + "/audit.log"), *secret, "the audit log");
  }
}

long vm_kib(pid_t pid, const std::string& field) {
  const std::string status = testsupport::read_file("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find(field + ":");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + field.size() + 1));
}

// The client run by hand: stdin is a pipe the test writes `pieces` into with `pause` between them
// (so the client's reads return them one by one), stdout and stderr go to files.
struct SlowRun {
  int exit_code = -1;
  std::string out, err;
  long peak_kib = -1;  // the client's VmHWM once all input was written (wait4's ru_maxrss would count
                       // the test's own pages, which the child had until exec)
};
SlowRun run_slowly(AgentFixture& f, const std::vector<std::string>& pieces, std::chrono::milliseconds pause) {
  const std::string out_path = f.dir() + "/redact.out", err_path = f.dir() + "/redact.err";
  int in[2];
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE((out >= 0 && err >= 0));
  std::vector<std::string> strings = {"PATH=/usr/bin:/bin"};
  for (const auto& [k, v] : f.env()) strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv = {const_cast<char*>(testsupport::kClient.c_str()), const_cast<char*>("redact"), nullptr};
  for (auto& s : strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out);
  ::close(err);
  ::signal(SIGPIPE, SIG_IGN);  // a client that died early must fail the test, not kill it
  for (const auto& piece : pieces) {
    std::string_view rest = piece;
    while (!rest.empty()) {
      const ssize_t n = ::write(in[1], rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
  SlowRun r;
  r.peak_kib = vm_kib(pid, "VmHWM");
  ::close(in[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = testsupport::read_file(out_path);
  r.err = testsupport::read_file(err_path);
  return r;
}

std::vector<std::string> cut_into(const std::string& text, const std::vector<std::size_t>& sizes) {
  std::vector<std::string> pieces;
  for (std::size_t at = 0, turn = 0; at < text.size(); ++turn) {
    const std::size_t n = std::min(sizes[turn % sizes.size()], text.size() - at);
    pieces.push_back(text.substr(at, n));
    at += n;
  }
  return pieces;
}

}  // namespace

TEST_CASE("redact: held tokens and keys never come out, e-mails, phones and flx_ keys are masked") {
  AgentFixture f;
  f.start();
  Held held;
  with_credentials(f, held);
  const std::string log = "GET /v1/me Authorization: Bearer " + held.tokens.access + "\n" +
                          "refresh_token=" + held.tokens.refresh + "&grant_type=refresh_token\n" +
                          "key[" + held.key + "] user ann.lee@example.com phone +1 555 123 4567\n" +
                          "other key flx_api_0123456789abcdef not held; 2024-11-02T10:00:00Z id=1700000000\n" +
                          "binary \x01\xff\xfe\x80 and no newline at the end " + held.key;
  auto r = f.client({"redact"}, log);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.err.empty());
  CHECK(r.out == "GET /v1/me Authorization: Bearer [REDACTED:access_token]\n"
                 "refresh_token=[REDACTED:refresh_token]&grant_type=refresh_token\n"
                 "key[[REDACTED:api_key]] user [REDACTED:email] phone [REDACTED:phone]\n"
                 "other key [REDACTED:api_key] not held; 2024-11-02T10:00:00Z id=1700000000\n"
                 "binary \x01\xff\xfe\x80 and no newline at the end [REDACTED:api_key]");
  check_nothing_leaked(f, held, r.out, "the redact output");

  auto empty = f.client({"redact"}, "");
  CHECK(empty.exit_code == 0);
  CHECK(empty.out.empty());
}

TEST_CASE("redact: secrets split across the client's reads (a slow pipe) are still masked") {
  AgentFixture f;
  f.start();
  Held held;
  with_credentials(f, held);
  const std::string text = "a=" + held.tokens.access + " b=" + held.key + "\nmail bob@example.org c=" +
                           held.tokens.refresh + "\n" + held.key + held.key + " tail";
  const std::string expected = "a=[REDACTED:access_token] b=[REDACTED:api_key]\nmail [REDACTED:email] c=" +
                               std::string("[REDACTED:refresh_token]\n[REDACTED:api_key][REDACTED:api_key] tail");
  auto r = run_slowly(f, cut_into(text, {1, 2, 3, 5, 8, 13}), 2ms);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out == expected);
  check_nothing_leaked(f, held, r.out, "the redact output");

  // One long line without newlines (the agent keeps a window back) arriving in uneven pieces.
  std::string line = std::string(5000, 'x') + " " + held.tokens.access + " " + std::string(4000, 'y') + held.key +
                     std::string(3000, 'z');
  auto long_line = run_slowly(f, cut_into(line, {97, 1000, 7}), 1ms);
  CHECK_MESSAGE(long_line.exit_code == 0, long_line.err);
  CHECK((long_line.out == std::string(5000, 'x') + " [REDACTED:access_token] " + std::string(4000, 'y') +
                              "[REDACTED:api_key]" + std::string(3000, 'z')));
  check_nothing_leaked(f, held, long_line.out, "the redact output");
}

TEST_CASE("redact: config.json patterns (custom regex and replacement), live edits, invalid regex") {
  AgentFixture f;
  const std::string config_path = f.home() + "/config.json";
  testsupport::write_file(config_path, R"({"sanitization": {"patterns": [
      {"name": "ticket", "regex": "TICKET-[0-9]+", "replacement": "TICKET-###"}, {"name": "email"}]}})");
  f.start();
  Held held;
  with_credentials(f, held);
  const std::string input = "TICKET-4711 by ann@example.com +1 555 123 4567 " + held.key + "\n";
  auto r = f.client({"redact"}, input);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  // Only the listed patterns apply; held secrets are masked whatever the configuration.
  CHECK(r.out == "TICKET-### by [REDACTED:email] +1 555 123 4567 [REDACTED:api_key]\n");

  // Edited while the agent runs: the next redact uses the new patterns.
  auto config = nlohmann::json::parse(testsupport::read_file(config_path));
  config["sanitization"]["patterns"] = {{{"name", "broken"}, {"regex", "(unclosed"}}};
  testsupport::write_file(config_path, config.dump());
  auto bad = f.client({"redact"}, input);
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK(contains(bad.err, "'broken'"));
  CHECK(contains(bad.err, "config.json"));

  config["sanitization"]["patterns"] = {{{"name", "phone"}, {"replacement", "<phone>"}}};
  testsupport::write_file(config_path, config.dump());
  auto fixed = f.client({"redact"}, input);
  CHECK_MESSAGE(fixed.exit_code == 0, fixed.err);
  CHECK(fixed.out == "TICKET-4711 by ann@example.com <phone> [REDACTED:api_key]\n");
  check_nothing_leaked(f, held, fixed.out + bad.err, "the redact output");
}

TEST_CASE("redact: works while the agent is locked (it serves no secret), fails closed on an unreadable store") {
  AgentFixture f;
  f.start();
  Held held;
  with_credentials(f, held);
  auto locked = testsupport::agent_request(f.socket(), proto::AgentLock{.passphrase = "correct horse"});
  REQUIRE_MESSAGE(locked.ok(), (locked.ok() ? "" : locked.error().message));
  auto r = f.client({"redact"}, "t=" + held.tokens.access + "\n");
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out == "t=[REDACTED:access_token]\n");
  CHECK(testsupport::agent_request(f.socket(), proto::AgentUnlock{.passphrase = "correct horse"}).ok());

  // A credentials file the agent cannot read: secrets it may hold would pass unmasked, so no output.
  AgentFixture broken;
  testsupport::write_file(broken.home() + "/credentials.json", "{not json");
  broken.start();
  auto refused = broken.client({"redact"}, "anything\n");
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.empty());
  CHECK(contains(refused.err, "cannot redact"));
}

TEST_CASE("redact: a large stream passes with bounded memory in client and agent") {
  AgentFixture f;
  f.start();
  Held held;
  with_credentials(f, held);
  const std::size_t target = kSanitized ? (4u << 20) : (32u << 20);
  std::string input;
  input.reserve(target + 256);
  std::mt19937 rng(7);
  for (std::size_t line = 0; input.size() < target; ++line) {
    switch (rng() % 50) {
      case 0: input += "auth " + held.tokens.access + " ok\n"; break;
      case 1: input += "key=" + held.key + " mail=u" + std::to_string(line) + "@example.com\n"; break;
      default: input += "2024-11-02T10:00:00Z INFO request " + std::to_string(line) + " took 12ms path=/v1/items\n";
    }
  }
  const pid_t agent = f.agent().pid();
  const long rss_before = vm_kib(agent, "VmRSS");
  testsupport::write_file("/proc/" + std::to_string(agent) + "/clear_refs", "5");  // reset VmHWM
  const auto started = std::chrono::steady_clock::now();
  auto r = run_slowly(f, cut_into(input, {65536}), 0ms);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  check_nothing_leaked(f, held, r.out, "the redact output");
  CHECK(r.out.find("[REDACTED:access_token]") != std::string::npos);
  CHECK(r.out.find("@example.com") == std::string::npos);
  CHECK(r.out.size() > input.size() / 2);
  const long agent_peak = vm_kib(agent, "VmHWM");
  MESSAGE("redacted " << input.size() / (1 << 20) << " MiB in " << took.count() << " ms; client peak RSS "
                      << r.peak_kib << " KiB; agent RSS " << rss_before << " KiB before, peak " << agent_peak
                      << " KiB during");
  if (!kSanitized) {
    CHECK(r.peak_kib > 0);
    CHECK(r.peak_kib < 16 * 1024);
    CHECK(agent_peak - rss_before < 16 * 1024);
  }
}

TEST_CASE("redact: malformed chunks get clear errors and the agent keeps serving") {
  AgentFixture f;
  f.start();
  auto not_base64 = testsupport::agent_request(f.socket(), proto::Redact{.data = "not base64!", .final = true});
  REQUIRE_FALSE(not_base64.ok());
  CHECK(not_base64.error().code == proto::ErrorCode::bad_request);
  auto too_big = testsupport::agent_request(
      f.socket(), proto::Redact{.data = proto::base64_encode(std::string(proto::kMaxRedactInput + 1, 'a')), .final = true});
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().code == proto::ErrorCode::invalid_argument);
  // Undecided input: a short line without a newline is kept back (consumed 0) until more comes.
  auto pending = testsupport::agent_request(f.socket(), proto::Redact{.data = proto::base64_encode("no newline yet")});
  REQUIRE(pending.ok());
  CHECK(pending->consumed == 0);
  auto fine = testsupport::agent_request(f.socket(), proto::Redact{.data = proto::base64_encode("a@example.com\nrest")});
  REQUIRE(fine.ok());
  CHECK(fine->consumed == 14);
  CHECK(proto::base64_decode(fine->data) == std::optional<std::string>("[REDACTED:email]\n"));
}
