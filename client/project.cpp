#include "client/project.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace client {
namespace {

constexpr std::size_t kMaxProjectFile = 64 * 1024;
constexpr const char* kProjectFile = "/.fluxloop/project.json";

}  // namespace

Outcome<std::string> project_id_of(const std::string& project_id_flag, const std::string& working_directory) {
  if (!project_id_flag.empty()) return project_id_flag;
  const std::string path = working_directory + kProjectFile;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::string();
    return Failure{proto::kExitError, "cannot read " + path + " (" + std::strerror(errno) + "); pass --project-id ID"};
  }
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0 && text.size() <= kMaxProjectFile) text.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  auto bad = [&](const std::string& why) {
    return Failure{proto::kExitError, path + " " + why + "; select a project with the platform CLI's `fluxloop projects select ID` or pass --project-id ID"};
  };
  if (n < 0) return bad("could not be read");
  if (text.size() > kMaxProjectFile) return bad("is too large");
  auto document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return bad("is not a JSON object");
  auto it = document.find("project_id");
  if (it == document.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return bad("has no project_id");
  return it->get<std::string>();
}

}  // namespace client
