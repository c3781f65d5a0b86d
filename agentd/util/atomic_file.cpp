#include "agentd/util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "agentd/util/unique_fd.hpp"

namespace agentd::util {
namespace {

proto::Error store_error(const std::string& what, const std::string& path) {
  return {proto::ErrorCode::store_error, what + " " + path + ": " + std::strerror(errno)};
}

std::string parent_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace

proto::Status write_file_atomic(const std::string& path, std::string_view content) {
  const std::string dir = parent_of(path);
  // The temp name is unpredictable and created with O_EXCL so nobody can pre-plant a symlink there.
  std::random_device random;
  const std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(random());
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return store_error("cannot create", temp);
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto error = store_error("cannot write", temp);
      ::unlink(temp.c_str());
      return error;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    auto error = store_error("cannot fsync", temp);
    ::unlink(temp.c_str());
    return error;
  }
  fd.reset();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    auto error = store_error("cannot replace", path);
    ::unlink(temp.c_str());
    return error;
  }
  // Without the directory fsync the rename itself may be lost on power failure.
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd) ::fsync(dir_fd.get());
  return proto::Ok{};
}

proto::Result<std::optional<std::string>> read_file(const std::string& path, std::size_t max_bytes,
                                                    Privacy privacy, Symlinks symlinks) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever (it is then refused as
  // not a regular file); for regular files the flag changes nothing.
  const int follow = symlinks == Symlinks::refuse ? O_NOFOLLOW : 0;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | follow));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>{};
    if (errno == ELOOP && symlinks == Symlinks::refuse) {
      return proto::Error{proto::ErrorCode::store_error,
                          path + " is a symbolic link; name the file itself (see `realpath " + path + "`)"};
    }
    return store_error("cannot open", path);
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return store_error("cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    return proto::Error{proto::ErrorCode::store_error,
                        path + " is not a regular file (a pipe, device or directory cannot be read as one)"};
  }
  if (privacy == Privacy::owner_only && (st.st_mode & 077) != 0) {
    return proto::Error{proto::ErrorCode::store_error,
                        path + " is accessible by other users; fix it with `chmod 600 " + path + "`"};
  }
  if (privacy == Privacy::ours && st.st_uid != ::geteuid()) {
    return proto::Error{proto::ErrorCode::store_error,
                        path + " is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
                            std::to_string(::geteuid()) + "); refusing what another user may have written: check it, then `chown` it to yourself"};
  }
  if (privacy == Privacy::ours && (st.st_mode & 022) != 0) {
    return proto::Error{proto::ErrorCode::store_error,
                        path + " is writable by other users; refusing what they may have written: check it, then `chmod 600 " + path + "`"};
  }
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return proto::Error{proto::ErrorCode::store_error,
                        path + " is larger than " + std::to_string(max_bytes) + " bytes"};
  }
  std::string content;
  content.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return store_error("cannot read", path);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  content.resize(done);
  return std::optional<std::string>{std::move(content)};
}

proto::Status ensure_private_dir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return proto::Ok{};
  auto parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return store_error("cannot create directory", dir);
  return proto::Ok{};
}

}  // namespace agentd::util
