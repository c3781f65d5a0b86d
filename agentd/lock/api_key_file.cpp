#include "agentd/lock/api_key_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace agentd::lock {

proto::Status validate_api_key_file(const std::string& path) {
  auto refuse = [&](const std::string& why) {
    return proto::Error{proto::ErrorCode::invalid_argument, "cannot use " + path + " as api_key_file: " + why};
  };
  if (path.empty() || path.front() != '/') return refuse("give an absolute path");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return refuse(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return refuse("not a regular file");
  if (st.st_uid != ::geteuid()) return refuse("the file is owned by another user");
  // Anyone who can read the file holds the key; the contract refuses group/world access outright.
  if ((st.st_mode & 077) != 0) return refuse("the file is readable or writable by others: run `chmod 600 " + path + "`");
  return proto::Ok{};
}

}  // namespace agentd::lock
