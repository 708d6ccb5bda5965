#include "supervisor/config_watch.hpp"

#include <sys/inotify.h>

#include <cerrno>
#include <system_error>

namespace taskmux::supervisor {

config_watch::config_watch(boost::asio::io_context& loop, const std::filesystem::path& file,
                           std::function<void()> changed, std::chrono::milliseconds settle)
    : fd_(loop), settle_timer_(loop), name_(file.filename().string()), settle_(settle), changed_(std::move(changed)) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "inotify");
  fd_.assign(fd);
  // The directory, not the file: a rename over it or a swapped symlink is a new file there.
  auto dir = file.parent_path().string();
  if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY) < 0)
    throw std::system_error(errno, std::generic_category(), "unable to watch " + dir);
  read();
}

config_watch::~config_watch() = default;

void config_watch::read() {
  fd_.async_read_some(boost::asio::buffer(buf_), [this](boost::system::error_code ec, size_t n) {
    if (ec) return;
    bool ours = false;
    for (size_t at = 0; at + sizeof(inotify_event) <= n;) {
      auto* e = reinterpret_cast<const inotify_event*>(buf_.data() + at);
      // A ConfigMap update renames its "..data" symlink: any change there may be ours.
      if (e->len > 0 && (name_ == e->name || std::string_view(e->name) == "..data")) ours = true;
      at += sizeof(inotify_event) + e->len;
    }
    if (ours) {
      settle_timer_.expires_after(settle_);
      settle_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) changed_();
      });
    }
    read();
  });
}

}  // namespace taskmux::supervisor
