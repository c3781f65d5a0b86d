#include "agentd/store/file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "agentd/util/unique_fd.hpp"
#include "proto/mask.hpp"
#include "proto/secure_memory.hpp"

namespace agentd::store {
namespace {

// Far beyond any real credentials file; bounds what a hostile or mistaken file can make us allocate.
constexpr off_t kMaxFileBytes = 1 << 20;
// Directory created for the file when FLUXLOOP_HOME does not exist yet: the owner's alone.
constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;

std::string errno_text(int err) { return std::strerror(err); }


std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Reads the file into `buffer`: true, or false when it does not exist. Checks type, owner and mode first.
proto::Result<bool> read_checked(const std::string& path, proto::SecretBuffer& buffer) {
  // O_NOFOLLOW: refuse a symlink (see the header). O_NONBLOCK: a FIFO planted here must not hang us.
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return false;
    if (err == ELOOP) {
      return store_error(path + " is a symbolic link; the agent replaces this file by rename and would break the "
                                "link: make it a regular file (mode 600)");
    }
    return store_error("cannot open " + path + ": " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return store_error("cannot stat " + path + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return store_error(path + " is not a regular file");
  if (st.st_uid != ::geteuid()) {
    return store_error(path + " is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
                       std::to_string(::geteuid()) + "); refusing to use credentials another user controls");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 0777));
    return store_error(path + " is accessible by other users (mode " + mode +
                       "); its tokens may have been read: run `chmod 600 " + path +
                       "`, consider logging out to revoke them, then try again");
  }
  if (st.st_size > kMaxFileBytes) return store_error(path + " is too large to be a credentials file (over 1 MiB)");

  buffer.text.resize(static_cast<std::size_t>(st.st_size) + 1);  // +1 notices a file that grew meanwhile
  std::size_t got = 0;
  while (got < buffer.text.size()) {
    ssize_t n = ::read(fd.get(), buffer.text.data() + got, buffer.text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return store_error("cannot read " + path + ": " + errno_text(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > static_cast<std::size_t>(kMaxFileBytes)) return store_error(path + " is too large to be a credentials file (over 1 MiB)");
  buffer.text.resize(got);
  return true;
}

proto::Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return store_error(errno_text(errno));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return proto::Ok{};
}

}  // namespace

FileStore::FileStore(std::string path, std::string single_profile)
    : path_(std::move(path)), single_profile_(std::move(single_profile)) {}

std::size_t FileStore::remove_stale_temp_files(std::chrono::seconds min_age) const {
  const std::string dir = parent_dir(path_);
  // The exact prefix write() uses; mkostemp appends six characters.
  const std::string prefix = "." + base_name(path_) + ".tmp-";
  DIR* listing = ::opendir(dir.c_str());
  if (!listing) return 0;
  std::size_t removed = 0;
  const auto now = std::chrono::system_clock::now();
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name = entry->d_name;
    if (!name.starts_with(prefix) || name.size() != prefix.size() + 6) continue;
    const std::string full = dir + "/" + std::string(name);
    struct stat st {};
    // lstat: a symlink with that name is removed as a link, never followed.
    if (::lstat(full.c_str(), &st) != 0 || st.st_uid != ::geteuid()) continue;
    const auto modified = std::chrono::system_clock::from_time_t(st.st_mtime);
    if (now - modified < min_age) continue;
    if (::unlink(full.c_str()) == 0) ++removed;
  }
  ::closedir(listing);
  return removed;
}

proto::Result<CredentialsFile> FileStore::read() const {
  proto::SecretBuffer buffer;  // the file's bytes, tokens included
  auto exists = read_checked(path_, buffer);
  if (!exists) return std::move(exists).error();
  if (!*exists) return CredentialsFile{};
  auto parsed = parse_credentials(buffer.text, single_profile_);
  if (!parsed) {
    // The parser's message already avoids quoting the file; re-coded as a store failure.
    return store_error(path_ + " is not a valid credentials file: " + parsed.error().message);
  }
  return parsed;
}

proto::Status FileStore::save_now(const std::string& profile, const Credentials& credentials) {
  auto current = read();
  if (!current) {
    // Never replace a file we cannot read: it may hold the only copy of other profiles' tokens.
    return store_error(current.error().message + "; it was left untouched (fix or remove it, then try again)");
  }
  current->profiles.insert_or_assign(profile, credentials);
  return write(*current);
}

proto::Status FileStore::erase_now(const std::string& profile) {
  auto current = read();
  if (!current) return store_error(current.error().message + "; it was left untouched (fix or remove it, then try again)");
  if (current->profiles.erase(profile) == 0) return proto::Ok{};  // absent: nothing to forget, nothing to write
  if (current->default_profile == profile) current->default_profile.clear();
  return write(*current);
}

proto::Status FileStore::write(const CredentialsFile& file) {
  const std::string dir = parent_dir(path_);
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST) {
    return store_error("cannot create " + dir + ": " + errno_text(errno));
  }
  proto::SecretBuffer content{serialize_credentials(file)};

  // mkostemp opens with O_CREAT|O_EXCL and mode 0600: nobody else can have opened or pre-created it.
  std::string temp = dir + "/." + base_name(path_) + ".tmp-XXXXXX";
  util::UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd) return store_error("cannot create a temporary file in " + dir + ": " + errno_text(errno));
  auto fail = [&](const std::string& what, int err) {
    ::unlink(temp.c_str());
    return store_error("cannot write " + path_ + " (" + what + ": " + errno_text(err) +
                       "); the previous file is unchanged");
  };
  if (::fchmod(fd.get(), kFileMode) != 0) return fail("chmod", errno);
  if (auto written = write_all(fd.get(), content.text); !written) {
    ::unlink(temp.c_str());
    return store_error("cannot write " + path_ + " (" + written.error().message + "); the previous file is unchanged");
  }
  if (::fsync(fd.get()) != 0) return fail("fsync", errno);
  if (::close(fd.release()) != 0) return fail("close", errno);
  if (::rename(temp.c_str(), path_.c_str()) != 0) return fail("rename", errno);

  // The rename is durable only once the directory entry is on disk.
  util::UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd || ::fsync(dir_fd.get()) != 0) {
    return store_error(path_ + " was replaced, but syncing " + dir + " failed (" + errno_text(errno) +
                       "): the change may not survive a crash");
  }
  return proto::Ok{};
}

boost::asio::awaitable<proto::Result<ProfileCredentials>> FileStore::load_all() {
  auto file = read();
  if (!file) co_return std::move(file).error();
  co_return std::move(file->profiles);
}

namespace {
boost::asio::awaitable<proto::Status> ready(proto::Status status) { co_return status; }
}  // namespace

// Done at the call, not when awaited: the arguments are references the caller may not keep alive.
boost::asio::awaitable<proto::Status> FileStore::save(const std::string& profile, const Credentials& credentials) {
  return ready(save_now(profile, credentials));
}

boost::asio::awaitable<proto::Status> FileStore::erase(const std::string& profile) {
  return ready(erase_now(profile));
}

}  // namespace agentd::store
