#include "tests/support/platform_fixture.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>

namespace testsupport {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(10);
constexpr auto kPkiTimeout = std::chrono::seconds(30);
const std::string kCurl = "/usr/bin/curl";
const std::string kMakeCa = std::string(FLUXLOOP_TEST_SOURCE_DIR) + "/tests/platform/make-test-ca.sh";

// A value inside a double-quoted curl config string: backslash and quote escaped, newlines as \n.
std::string curl_quoted(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

}  // namespace

void make_test_pki(const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto result = run({kMakeCa, dir}, base_env(dir), {}, kPkiTimeout);
  if (result.exit_code != 0) throw std::runtime_error("make-test-ca.sh failed: " + result.err);
}

std::string form_encode(const Form& form) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const auto& [key, value] : form) {
    if (!out.empty()) out += '&';
    for (const std::string* part : {&key, &value}) {
      for (unsigned char c : *part) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
          out += static_cast<char>(c);
        } else {
          out += '%';
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
      }
      if (part == &key) out += '=';
    }
  }
  return out;
}

HttpReply https_request(const std::string& method, const std::string& url, const std::string& ca,
                        const std::string& content_type, const std::string& body, const std::string& bearer,
                        std::chrono::milliseconds timeout) {
  // Everything that may be secret (the body, the bearer token) travels in a config on stdin: argv
  // is readable by every user of the machine through /proc.
  std::string config;
  if (!content_type.empty()) config += "header = " + curl_quoted("Content-Type: " + content_type) + "\n";
  if (!bearer.empty()) config += "header = " + curl_quoted("Authorization: Bearer " + bearer) + "\n";
  if (method != "GET" && method != "HEAD") config += "data-binary = " + curl_quoted(body) + "\n";
  const auto seconds = std::to_string(std::max<long long>(1, timeout.count() / 1000));
  std::vector<std::string> argv{kCurl, "-q", "-sS", "--cacert", ca, "-X", method, "--max-time", seconds,
                                "-o", "-", "-w", "\n%{http_code}", "--config", "-", url};
  auto result = run(argv, base_env("/nonexistent"), config, timeout + std::chrono::seconds(5));
  HttpReply reply;
  const auto newline = result.out.rfind('\n');
  if (newline != std::string::npos) {
    reply.body = result.out.substr(0, newline);
    try {
      reply.status = std::stoi(result.out.substr(newline + 1));
    } catch (const std::exception&) {
      reply.status = 0;
    }
  }
  reply.json = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (reply.json.is_discarded()) reply.json = nullptr;
  return reply;
}

HttpReply https_form(const std::string& url, const std::string& ca, const Form& form) {
  return https_request("POST", url, ca, "application/x-www-form-urlencoded", form_encode(form));
}

namespace {
PlatformOptions with_args(std::vector<std::string> args) {
  PlatformOptions options;  // the other fields keep their defaults
  options.args = std::move(args);
  return options;
}
}  // namespace

PlatformFixture::PlatformFixture(std::vector<std::string> extra_args) : PlatformFixture(with_args(std::move(extra_args))) {}

PlatformFixture::PlatformFixture(PlatformOptions options) {
  pki_dir_ = options.pki_dir.empty() ? dir_.path() + "/pki" : options.pki_dir;
  ca_ = pki_dir_ + "/ca.pem";
  log_path_ = dir_.path() + "/platform.log";
  port_file_ = dir_.path() + "/port";
  if (kEmulator.empty()) throw std::runtime_error("no platform emulator built (FLUXLOOP_TEST_EMULATOR is empty)");
  if (options.pki_dir.empty()) make_test_pki(pki_dir_);
  std::vector<std::string> argv{kEmulator, "--cert", pki_dir_ + "/" + options.cert + ".pem", "--key",
                                pki_dir_ + "/" + options.cert + "-key.pem", "--port", std::to_string(options.port),
                                "--port-file", port_file_};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  process_ = Process(argv, base_env(dir_.path()), log_path_);
  const bool up = eventually([&] { return !read_file(port_file_).empty() || !process_.running(); }, kStartTimeout);
  if (!up || !process_.running()) throw std::runtime_error("the platform emulator did not start; log:\n" + log());
  port_ = std::stoi(read_file(port_file_));
  issuer_ = "https://127.0.0.1:" + std::to_string(port_);
}

PlatformFixture::~PlatformFixture() {
  if (process_.running()) stop();
}

int PlatformFixture::stop() {
  process_.signal(SIGTERM);
  return process_.wait(kStopTimeout);
}

nlohmann::json PlatformFixture::admin(const std::string& method, const std::string& path, const nlohmann::json& body) {
  const bool has_body = !body.is_null();
  auto reply = https_request(method, issuer_ + path, ca_, has_body ? "application/json" : "",
                             has_body ? body.dump() : (method == "POST" ? "{}" : ""));
  if (reply.status < 200 || reply.status > 299) {
    throw std::runtime_error("emulator knob " + method + " " + path + " answered " + std::to_string(reply.status) +
                             ": " + reply.body);
  }
  return reply.json;
}

nlohmann::json PlatformFixture::mint_tokens(const std::string& client_id, const std::string& email) {
  nlohmann::json request = {{"client_id", client_id}};
  if (!email.empty()) request["email"] = email;
  return admin("POST", "/_emulator/tokens", request);
}

nlohmann::json PlatformFixture::seed_credentials(const std::string& path, const std::string& profile,
                                                 const std::string& client_id) {
  auto tokens = mint_tokens(client_id);
  const auto expires_in = std::chrono::seconds(tokens.value("expires_in", 0));
  nlohmann::json entry = {{"access_token", tokens.at("access_token")},
                          {"refresh_token", tokens.at("refresh_token")},
                          {"expires_at", rfc3339_from_now(expires_in)},
                          {"issuer", issuer_},
                          {"client_id", client_id},
                          {"api_endpoint", issuer_}};
  write_file(path, nlohmann::json{{"profiles", {{profile, entry}}}}.dump(), 0600);
  return tokens;
}

nlohmann::json import_seeded(PlatformFixture& platform, AgentFixture& agent, const std::string& profile,
                             const std::string& client_id) {
  const std::string file = agent.dir() + "/seed-" + profile + ".json";
  nlohmann::json tokens = platform.seed_credentials(file, profile, client_id);
  auto imported = agent.client({"auth", "import", file, "--profile", profile});
  std::filesystem::remove(file);
  if (imported.exit_code != 0) throw std::runtime_error("auth import of the seeded profile failed: " + imported.err);
  return tokens;
}

proto::Result<std::string> agent_exchange(const std::string& socket, const std::string& frame,
                                          std::chrono::milliseconds timeout) {
  auto fail = [](const std::string& what) { return proto::Error{proto::ErrorCode::network, "agent exchange: " + what}; };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket.size() >= sizeof(address.sun_path)) return fail("socket path too long");
  std::memcpy(address.sun_path, socket.c_str(), socket.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket() failed");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return fail("cannot connect");
  if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) return fail("send failed");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto read_exact = [&](char* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::recv(fd, out + got, size - got, 0);
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  };
  unsigned char header[proto::kHeaderSize];
  if (!read_exact(reinterpret_cast<char*>(header), sizeof header)) return fail("no reply header");
  auto length = proto::decode_header(std::span<const unsigned char, proto::kHeaderSize>(header));
  if (!length) return std::move(length).error();
  std::string body(*length, '\0');
  if (!read_exact(body.data(), body.size())) return fail("truncated reply");
  return body;
}

void ValidityProber::add(TokenSample sample) {
  std::lock_guard lock(mutex_);
  auto& slot = pending_[{sample.min_valid, sample.token}];
  if (slot.token.empty() || sample.before > slot.before) slot = std::move(sample);
}

void ValidityProber::tick(bool flush) {
  std::vector<TokenSample> due;
  {
    std::lock_guard lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      const auto at = it->second.before + std::chrono::seconds(it->second.min_valid) - kMargin;
      if (flush || std::chrono::steady_clock::now() >= at) {
        due.push_back(std::move(it->second));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& sample : due) probes_.push_back(std::async(std::launch::async, [this, sample] { probe(sample); }));
}

void ValidityProber::finish() {
  for (auto& probe : probes_) probe.wait();
}

void ValidityProber::probe(const TokenSample& sample) {
  const auto due = sample.before + std::chrono::seconds(sample.min_valid) - kMargin;
  const auto launched = std::chrono::steady_clock::now();
  const bool on_time = launched - due < kLateLimit;
  const auto reply = platform_.api_get("/v1/me", sample.token);
  std::lock_guard lock(mutex_);
  if (!on_time) {
    ++late;
    return;
  }
  ++judged;
  if (reply.status != 200) {
    failures.push_back("a token served for --min-valid " + std::to_string(sample.min_valid) + " was refused (HTTP " +
                       std::to_string(reply.status) + ") " +
                       std::to_string(std::chrono::duration<double>(launched - sample.before).count()) +
                       " s after the request started: " + reply.body);
  }
}

bool client_has(AgentFixture& agent, const std::vector<std::string>& command) {
  // The client binary is fixed for the test run: ask once per command.
  static std::mutex mutex;
  static std::map<std::vector<std::string>, bool> known;
  std::lock_guard lock(mutex);
  if (auto it = known.find(command); it != known.end()) return it->second;
  // `fluxloop auth refresh --help` would print the help of `auth` when `refresh` is unknown, so
  // read the parent's help and look for the command in its list.
  std::vector<std::string> args(command.begin(), command.end() - 1);
  args.push_back("--help");
  const auto help = agent.client(args).out;
  const std::regex listed("\\n\\s+" + command.back() + "\\s");
  return known[command] = std::regex_search(help, listed);
}

namespace {

template <typename Req>
RunResult raw_result(const proto::Result<typename Req::Reply>& reply) {
  RunResult result;
  result.exit_code = reply ? 0 : proto::exit_code_for(reply.error().code);
  if (!reply) result.err = "fluxloop: " + reply.error().message + "\n";
  return result;
}

}  // namespace

RunResult auth_refresh(AgentFixture& agent, const std::string& profile) {
  if (client_has(agent, {"auth", "refresh"})) return agent.client({"auth", "refresh", "--profile", profile});
  return raw_result<proto::AuthRefresh>(agent_request(agent.socket(), proto::AuthRefresh{.profile = profile}));
}

RunResult auth_logout(AgentFixture& agent, const std::string& profile) {
  if (client_has(agent, {"auth", "logout"})) return agent.client({"auth", "logout", "--profile", profile});
  auto reply = agent_request(agent.socket(), proto::AuthLogout{.profile = profile});
  RunResult result = raw_result<proto::AuthLogout>(reply);
  if (reply && !reply->warning.empty()) result.err = "fluxloop: warning: " + reply->warning + "\n";
  return result;
}

nlohmann::json profile_status(AgentFixture& agent, const std::string& profile) {
  auto result = agent.client({"auth", "status", "--profile", profile, "--json"});
  auto document = nlohmann::json::parse(result.out, nullptr, false);
  if (document.is_discarded() || !document.contains("profiles") || document["profiles"].size() != 1) {
    throw std::runtime_error("auth status --json (exit " + std::to_string(result.exit_code) + ") printed no single profile: " +
                             result.out + result.err);
  }
  return document["profiles"][0];
}

std::string rfc3339_from_now(std::chrono::seconds from_now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + from_now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::chrono::system_clock::time_point parse_rfc3339(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) throw std::runtime_error("not an RFC 3339 time: " + text);
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

}  // namespace testsupport
