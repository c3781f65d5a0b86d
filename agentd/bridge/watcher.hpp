// inotify on the bridge file's directory, read through the agent's io_context (no polling loop).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "proto/result.hpp"

namespace agentd::bridge {

// What happened to the watched name (or to the watch itself).
enum class FileEvent {
  written,  // closed after writing, or renamed into place (IN_CLOSE_WRITE, IN_MOVED_TO)
  removed,  // unlinked or renamed away (IN_DELETE, IN_MOVED_FROM)
  overflow, // the kernel dropped events (IN_Q_OVERFLOW): look at the file again
  lost,     // the directory itself went away (deleted or moved): the watch has ended
};

// Watches one name in one directory. The handler runs on the executor, once per event.
class Watcher {
 public:
  using Handler = std::function<void(FileEvent)>;
  Watcher(boost::asio::any_io_executor executor, std::string directory, std::string name, Handler handler);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Starts watching (the directory must exist). store_error naming the directory on failure.
  proto::Status start();
  // Stops watching; no handler call follows. start() may be called again.
  void stop();
  bool watching() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace agentd::bridge
