#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "agentd/store/file_store.hpp"
#include "tests/unit/agentd/store/store_test_helpers.hpp"

using agentd::store::Credentials;
using agentd::store::FileStore;
using storetest::run_coro;

namespace {

namespace fs = std::filesystem;

constexpr const char* kAccess = "flx_fileaccess_5e8d1c2b3a4f6071";
constexpr const char* kRefresh = "flx_refresh_filerefresh_9a8b7c6d";

struct TempHome {
  std::string path;
  TempHome() {
    std::string tmpl = (fs::temp_directory_path() / "store-test-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempHome() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file() const { return path + "/credentials.json"; }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

Credentials make(const std::string& access, const std::string& refresh = kRefresh) {
  Credentials c;
  c.access_token = access;
  c.refresh_token = refresh;
  c.expires_at = "2030-01-01T00:00:00Z";
  c.api_endpoint = "https://api.fluxloop.ai";
  return c;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

void check_no_secret(const std::string& message) {
  CHECK(message.find("flx_") == std::string::npos);
  CHECK(message.find("fileaccess") == std::string::npos);
}

}  // namespace

TEST_CASE("file store: a missing file is an empty store") {
  TempHome home;
  FileStore store(home.file());
  auto all = run_coro(store.load_all());
  REQUIRE(all.ok());
  CHECK(all->empty());
  CHECK(store.kind() == proto::StoreKind::file);
  CHECK(store.location() == home.file());
  // erase of an absent profile in an absent file: fine, and creates nothing
  CHECK(run_coro(store.erase("nobody")).ok());
  CHECK_FALSE(fs::exists(home.file()));
}

TEST_CASE("file store: save load erase round trip keeps mode 0600 and other profiles and leaves no temp files") {
  TempHome home;
  FileStore store(home.file());
  REQUIRE(run_coro(store.save("production", make(kAccess))).ok());
  CHECK(mode_of(home.file()) == 0600);
  REQUIRE(run_coro(store.save("staging", make("a-staging"))).ok());
  CHECK(mode_of(home.file()) == 0600);

  auto all = run_coro(store.load_all());
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK(all->at("production") == make(kAccess));
  CHECK(all->at("staging") == make("a-staging"));

  // Replacing one profile keeps the other.
  REQUIRE(run_coro(store.save("production", make("a-new"))).ok());
  all = run_coro(store.load_all());
  REQUIRE(all.ok());
  CHECK(all->at("production").access_token == "a-new");
  CHECK(all->at("staging").access_token == "a-staging");

  REQUIRE(run_coro(store.erase("production")).ok());
  all = run_coro(store.load_all());
  REQUIRE(all.ok());
  CHECK(all->size() == 1);
  CHECK(all->contains("staging"));
  CHECK(mode_of(home.file()) == 0600);
  CHECK(entries(home.path) == 1);  // only credentials.json: every temp file was renamed away
}

TEST_CASE("file store: a seed file in either shape is read and rewritten in the second shape keeping it all") {
  TempHome home;
  spit(home.file(), std::string(R"({"access_token": ")") + kAccess + R"(", "user_email": "u@example.com"})");
  FileStore store(home.file());
  auto all = run_coro(store.load_all());
  REQUIRE(all.ok());
  REQUIRE(all->contains("production"));
  CHECK(all->at("production").access_token == kAccess);

  REQUIRE(run_coro(store.save("staging", make("a-staging"))).ok());
  auto text = slurp(home.file());
  CHECK(text.find("\"profiles\"") != std::string::npos);
  all = run_coro(store.load_all());
  REQUIRE(all.ok());
  CHECK(all->at("production").user_email == "u@example.com");
  CHECK(all->at("staging").access_token == "a-staging");

  // default_profile survives a save of another profile.
  spit(home.file(), R"({"default_profile": "staging", "profiles": {"staging": {"access_token": "s"}}})");
  REQUIRE(run_coro(store.save("production", make("p"))).ok());
  CHECK(slurp(home.file()).find("\"default_profile\": \"staging\"") != std::string::npos);
}

TEST_CASE("file store: a corrupt file is reported and never overwritten") {
  TempHome home;
  const std::string corrupt = std::string(R"({"profiles": {"production": {"access_token": ")") + kAccess + "\", ";
  spit(home.file(), corrupt);
  FileStore store(home.file());

  auto all = run_coro(store.load_all());
  REQUIRE_FALSE(all.ok());
  CHECK(all.error().code == proto::ErrorCode::store_error);
  CHECK(all.error().message.find(home.file()) != std::string::npos);
  check_no_secret(all.error().message);

  auto saved = run_coro(store.save("staging", make("a-staging")));
  REQUIRE_FALSE(saved.ok());
  CHECK(saved.error().code == proto::ErrorCode::store_error);
  CHECK(saved.error().message.find(home.file()) != std::string::npos);
  CHECK(saved.error().message.find("left untouched") != std::string::npos);
  check_no_secret(saved.error().message);
  CHECK(slurp(home.file()) == corrupt);  // byte for byte

  auto erased = run_coro(store.erase("production"));
  REQUIRE_FALSE(erased.ok());
  CHECK(slurp(home.file()) == corrupt);
  CHECK(entries(home.path) == 1);

  // Valid JSON with a wrong type is corrupt too.
  const std::string wrong = R"({"profiles": {"production": {"access_token": 12}}})";
  spit(home.file(), wrong);
  CHECK_FALSE(run_coro(store.save("staging", make("x"))).ok());
  CHECK(slurp(home.file()) == wrong);
}

TEST_CASE("file store: a file other users can read is refused with the chmod to run") {
  TempHome home;
  const std::string text = std::string(R"({"access_token": ")") + kAccess + "\"}";
  spit(home.file(), text, 0644);
  FileStore store(home.file());
  auto all = run_coro(store.load_all());
  REQUIRE_FALSE(all.ok());
  CHECK(all.error().code == proto::ErrorCode::store_error);
  CHECK(all.error().message.find("chmod 600 " + home.file()) != std::string::npos);
  CHECK(all.error().message.find("0644") != std::string::npos);
  check_no_secret(all.error().message);
  CHECK_FALSE(run_coro(store.save("x", make("y"))).ok());
  CHECK(slurp(home.file()) == text);
  CHECK(mode_of(home.file()) == 0644);  // not silently "fixed" either

  spit(home.file(), text, 0620);  // group-writable counts too
  CHECK_FALSE(run_coro(store.load_all()).ok());
  REQUIRE(::chmod(home.file().c_str(), 0600) == 0);
  CHECK(run_coro(store.load_all()).ok());
}

TEST_CASE("file store: symlinks and non-regular files are refused") {
  TempHome home;
  const std::string target = home.path + "/real.json";
  spit(target, "{}");
  REQUIRE(::symlink(target.c_str(), home.file().c_str()) == 0);
  FileStore store(home.file());
  auto all = run_coro(store.load_all());
  REQUIRE_FALSE(all.ok());
  CHECK(all.error().message.find("symbolic link") != std::string::npos);
  CHECK_FALSE(run_coro(store.save("p", make("x"))).ok());
  CHECK(fs::is_symlink(home.file()));

  REQUIRE(::unlink(home.file().c_str()) == 0);
  REQUIRE(::mkfifo(home.file().c_str(), 0600) == 0);  // must not block on open
  auto fifo = run_coro(store.load_all());
  REQUIRE_FALSE(fifo.ok());
  CHECK(fifo.error().message.find("not a regular file") != std::string::npos);
}

TEST_CASE("file store: creates a missing FLUXLOOP_HOME 0700 on first save") {
  TempHome home;
  const std::string dir = home.path + "/fluxloop";
  FileStore store(dir + "/credentials.json");
  REQUIRE(run_coro(store.save("production", make(kAccess))).ok());
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir + "/credentials.json") == 0600);
}

TEST_CASE("file store: a failed write leaves the old file and no temp file") {
  if (::geteuid() == 0) {
    // Root ignores directory permissions; the failure is provoked differently below.
    TempHome home;
    FileStore store(home.path + "/missing-parent/deeper/credentials.json");
    auto saved = run_coro(store.save("p", make("x")));
    REQUIRE_FALSE(saved.ok());
    CHECK(saved.error().code == proto::ErrorCode::store_error);
    return;
  }
  TempHome home;
  FileStore store(home.file());
  REQUIRE(run_coro(store.save("production", make(kAccess))).ok());
  const auto before = slurp(home.file());
  REQUIRE(::chmod(home.path.c_str(), 0500) == 0);  // no new entries allowed
  auto saved = run_coro(store.save("staging", make("x")));
  REQUIRE(::chmod(home.path.c_str(), 0700) == 0);
  REQUIRE_FALSE(saved.ok());
  CHECK(slurp(home.file()) == before);
  CHECK(entries(home.path) == 1);
}

TEST_CASE("file store: stale temp files a crash left are removed, fresh ones and other files are kept") {
  TempHome home;
  FileStore store(home.file());
  REQUIRE(run_coro(store.save("production", make(kAccess))).ok());
  auto plant = [&](const std::string& name, int age_seconds) {
    const std::string path = home.path + "/" + name;
    std::ofstream(path) << "{\"access_token\":\"" << kAccess << "\"}";
    ::chmod(path.c_str(), 0600);
    const auto when = fs::file_time_type::clock::now() - std::chrono::seconds(age_seconds);
    fs::last_write_time(path, when);
    return path;
  };
  const auto stale = plant(".credentials.json.tmp-AbC123", 600);
  const auto fresh = plant(".credentials.json.tmp-XyZ789", 0);
  const auto other = plant(".credentials.json.tmp-too-long-suffix", 600);
  const auto unrelated = plant("notes.txt", 600);

  CHECK(store.remove_stale_temp_files(std::chrono::seconds(60)) == 1);
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(fresh));
  CHECK(fs::exists(other));
  CHECK(fs::exists(unrelated));
  CHECK(fs::exists(home.file()));
  CHECK(store.remove_stale_temp_files(std::chrono::seconds(0)) == 1);  // now the fresh one too
  CHECK_FALSE(fs::exists(fresh));
}
