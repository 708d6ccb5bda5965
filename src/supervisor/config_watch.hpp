// `[supervisor] watch = true`: notices when the config file is written or replaced (editors
// save by rename; ConfigMaps swap a symlink) and says so once the writes have paused, so a
// file saved in several writes is read once, whole. inotify on the file's directory, on the
// loop. Loop thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace taskmux::supervisor {

class config_watch {
 public:
  /// `changed` runs once `settle` has passed since the last write to `file`. Throws
  /// std::system_error when the directory cannot be watched.
  config_watch(boost::asio::io_context& loop, const std::filesystem::path& file, std::function<void()> changed,
               std::chrono::milliseconds settle = std::chrono::milliseconds(300));
  ~config_watch();

 private:
  void read();

  boost::asio::posix::stream_descriptor fd_;
  boost::asio::steady_timer settle_timer_;
  std::string name_;  ///< the file's name in its directory
  std::chrono::milliseconds settle_;
  std::function<void()> changed_;
  std::array<char, 4096> buf_{};
};

}  // namespace taskmux::supervisor
