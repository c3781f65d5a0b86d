// The audit log file: line format, buffering, rotation by size, write errors that never throw.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agentd/audit/audit_log.hpp"
#include "tests/support/process.hpp"

namespace {

using agentd::audit::AuditLog;
using agentd::audit::LogLimits;
using agentd::audit::Record;
using nlohmann::json;

Record sample(std::string_view profile = "production", std::string_view outcome = "ok") {
  return Record{std::chrono::system_clock::now(), 4242, 1000, "/usr/bin/fluxloop", "get_token", profile, outcome};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("audit: a record is one JSON line with every field, escaped, valid UTF-8, bounded") {
  std::string out;
  agentd::audit::format_record(out, sample());
  REQUIRE(out.back() == '\n');
  const json line = json::parse(out);
  CHECK(line["pid"] == 4242);
  CHECK(line["uid"] == 1000);
  CHECK(line["exe"] == "/usr/bin/fluxloop");
  CHECK(line["op"] == "get_token");
  CHECK(line["profile"] == "production");
  CHECK(line["outcome"] == "ok");
  CHECK(std::regex_match(line["time"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));

  // Hostile bytes in an untrusted field: quotes, newlines, invalid UTF-8, a huge value.
  out.clear();
  const std::string hostile = std::string("a\"b\\c\nd\x01\xff\xc3(") + "é" + std::string(10000, 'x');
  agentd::audit::format_record(out, sample(hostile));
  CHECK(out.find('\n') == out.size() - 1);  // still exactly one line
  const json parsed = json::parse(out);     // throws on invalid UTF-8 or bad escapes
  const std::string profile = parsed["profile"];
  CHECK(profile.rfind("a\"b\\c\nd\x01\xEF\xBF\xBD\xEF\xBF\xBD(é", 0) == 0);
  CHECK(profile.size() < agentd::audit::kMaxFieldBytes + 16);
}

TEST_CASE("audit: records within one millisecond and of alternating programs each carry their own time and exe") {
  // The time text and the escaped exe are reused from the previous record when they are the same.
  const auto start = std::chrono::sys_days{std::chrono::year{2024} / 11 / 2} + std::chrono::hours(10);
  const std::vector<std::chrono::system_clock::time_point> times = {
      start, start + std::chrono::microseconds(300), start + std::chrono::milliseconds(1), start,
      start + std::chrono::hours(24)};
  const std::vector<std::string> exes = {"/usr/bin/fluxloop", "/usr/bin/fluxloop", "/opt/x\"y", "", "/usr/bin/fluxloop"};
  for (std::size_t i = 0; i < times.size(); ++i) {
    std::string out;
    Record record = sample();
    record.time = times[i];
    record.exe = exes[i];
    agentd::audit::format_record(out, record);
    const json line = json::parse(out);
    CHECK(line["time"] == agentd::audit::format_time(times[i]));
    CHECK(line["exe"] == exes[i]);
  }
  CHECK(agentd::audit::format_time(start + std::chrono::microseconds(300)) == "2024-11-02T10:00:00.000Z");
  CHECK(agentd::audit::format_time(start + std::chrono::hours(24)) == "2024-11-03T10:00:00.000Z");
}

TEST_CASE("audit: format_time is RFC 3339 UTC with milliseconds") {
  const auto when = std::chrono::sys_days{std::chrono::year{2024} / 11 / 2} + std::chrono::hours(10) +
                    std::chrono::milliseconds(5007);
  CHECK(agentd::audit::format_time(when) == "2024-11-02T10:00:05.007Z");
}

TEST_CASE("audit: lines are buffered until flush or until the buffer passes its size, the file is 0600") {
  testsupport::TempDir dir;
  const std::string path = dir.path() + "/audit.log";
  {
    AuditLog log(path, LogLimits{.max_bytes = 1 << 20, .kept = 3, .flush_bytes = 1000});
    CHECK(log.append(sample()));        // the buffer was empty: the caller arms its timer
    CHECK_FALSE(log.append(sample()));  // already pending
    CHECK_FALSE(exists(path));          // no write syscall yet
    CHECK(log.buffered() > 0);
    log.flush();
    CHECK(log.buffered() == 0);
    CHECK(lines_of(testsupport::read_file(path)).size() == 2);
    CHECK(mode_of(path) == 0600);

    // Past flush_bytes the log writes on its own.
    int appended = 0;
    while (log.buffered() < 900) {
      log.append(sample());
      ++appended;
    }
    CHECK(lines_of(testsupport::read_file(path)).size() == 2);
    for (int i = 0; i < 10 && log.buffered() > 0; ++i) log.append(sample());
    CHECK(lines_of(testsupport::read_file(path)).size() > 2 + static_cast<std::size_t>(appended));
    log.append(sample("last"));
  }  // the destructor flushes
  const auto lines = lines_of(testsupport::read_file(path));
  CHECK(json::parse(lines.back())["profile"] == "last");
}

TEST_CASE("audit: rotation by size keeps audit.log.1 … .N, each under the bound, newest in audit.log") {
  testsupport::TempDir dir;
  const std::string path = dir.path() + "/audit.log";
  const LogLimits limits{.max_bytes = 2000, .kept = 2, .flush_bytes = 1};  // every append is written
  {
    AuditLog log(path, limits);
    for (int i = 0; i < 200; ++i) log.append(sample("p" + std::to_string(i)));
  }
  CHECK(exists(path));
  CHECK(exists(path + ".1"));
  CHECK(exists(path + ".2"));
  CHECK_FALSE(exists(path + ".3"));
  int previous_first = 1 << 30;
  for (const std::string& file : {path, path + ".1", path + ".2"}) {
    CHECK(std::filesystem::file_size(file) <= limits.max_bytes);
    CHECK(mode_of(file) == 0600);
    const auto lines = lines_of(testsupport::read_file(file));
    REQUIRE_FALSE(lines.empty());
    for (const auto& line : lines) CHECK(json::accept(line));
    // Older files hold older lines.
    const int first = std::stoi(json::parse(lines.front())["profile"].get<std::string>().substr(1));
    CHECK(first < previous_first);
    previous_first = first;
  }
  CHECK(json::parse(lines_of(testsupport::read_file(path)).back())["profile"] == "p199");
}

TEST_CASE("audit: write errors drop lines with a warning, never throw, and recover") {
  testsupport::TempDir dir;
  const std::string sub = dir.path() + "/missing";
  AuditLog log(sub + "/audit.log", LogLimits{.max_bytes = 1 << 20, .kept = 1, .flush_bytes = 4096});
  log.append(sample());
  CHECK_NOTHROW(log.flush());
  CHECK(log.buffered() == 0);
  CHECK(log.dropped_bytes() > 0);
  std::filesystem::create_directory(sub);
  log.append(sample("again"));
  log.flush();
  CHECK(json::parse(lines_of(testsupport::read_file(sub + "/audit.log")).back())["profile"] == "again");
}

TEST_CASE("audit: an existing log is made private, a symlink in its place is not followed") {
  testsupport::TempDir dir;
  const std::string path = dir.path() + "/audit.log";
  testsupport::write_file(path, "", 0644);
  {
    AuditLog log(path);
    log.append(sample());
  }
  CHECK(mode_of(path) == 0600);

  const std::string target = dir.path() + "/elsewhere";
  const std::string link = dir.path() + "/linked.log";
  testsupport::write_file(target, "");
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  AuditLog log(link);
  log.append(sample());
  log.flush();
  CHECK(testsupport::read_file(target).empty());
  CHECK(log.dropped_bytes() > 0);
}
