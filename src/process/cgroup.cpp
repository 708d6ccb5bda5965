#include "process/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>

#include "process/cgroup_path.hpp"
#include "process/text_file.hpp"
#include "process/unique_fd.hpp"

namespace taskmux::process {
namespace {

bool write_file(int dir_fd, const std::string& path, std::string_view text) {
  unique_fd fd(::openat(dir_fd, path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd && ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

std::optional<std::string> own_directory(std::string& why) {
  auto mounts = parse_cgroup2_mounts(read_text_file("/proc/self/mountinfo"));
  if (mounts.empty()) {
    why = "no cgroup2 file system is mounted";
    return std::nullopt;
  }
  auto own = parse_own_cgroup2(read_text_file("/proc/self/cgroup"));
  if (!own) {
    why = "/proc/self/cgroup names no usable cgroup v2 path";
    return std::nullopt;
  }
  auto dir = cgroup2_directory(mounts, *own);
  if (!dir) why = "taskmux's cgroup " + *own + " is not under a cgroup2 mount";
  return dir;
}

/// A dead run's processes get this long after SIGTERM before SIGKILL (as the orphan sweep).
constexpr std::chrono::seconds stale_grace{2};

bool populated(const std::string& dir) {
  std::string events = read_text_file(dir + "/cgroup.events");
  auto at = events.find("populated ");
  return at != std::string::npos && events[at + 10] == '1';
}

bool wait_empty(const std::string& dir, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  // Once, at start-up, before the loop runs: a short poll is simpler than an inotify watch.
  while (populated(dir)) {
    if (std::chrono::steady_clock::now() >= until) return false;
    ::usleep(10'000);
  }
  return true;
}

/// `dir` and every cgroup below it (a root task may have made its own), parents first.
std::vector<std::string> subtree(const std::string& dir) {
  std::vector<std::string> out{dir};
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) out.push_back(it->path().string());
  return out;
}

/// Stops what a killed taskmux left in its run's directory `run` (SIGTERM, SIGKILL after the
/// grace) and removes the directory. A run's processes belong to it, whatever became of
/// their taskmux; left running, they would hold the ports and files the new run needs.
stale_run stop_dead_run(const std::string& run) {
  stale_run r{run};
  for (auto& dir : subtree(run))
    for (pid_t p : parse_pids(read_text_file(dir + "/cgroup.procs"))) {
      ::kill(p, SIGTERM);
      ::kill(p, SIGCONT);
      ++r.stopped;
    }
  if (r.stopped && !wait_empty(run, stale_grace)) {
    r.needed_kill = true;
    if (!write_file(AT_FDCWD, run + "/cgroup.kill", "1"))
      for (auto& dir : subtree(run))
        for (pid_t p : parse_pids(read_text_file(dir + "/cgroup.procs"))) ::kill(p, SIGKILL);
    wait_empty(run, std::chrono::seconds(1));
  }
  auto dirs = subtree(run);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it)
    if (::rmdir(it->c_str()) != 0 && errno != ENOENT && r.left.empty()) r.left = *it + ": " + std::strerror(errno);
  return r;
}

// The directories of dead runs (nobody holds their flock) under `parent`: what they held is
// stopped and they are removed; returns those that held processes or could not be removed.
std::vector<stale_run> remove_dead_runs(const std::string& parent) {
  std::vector<stale_run> found;
  DIR* dir = ::opendir(parent.c_str());
  if (!dir) return found;
  while (auto* entry = ::readdir(dir)) {
    if (entry->d_type != DT_DIR || std::strncmp(entry->d_name, "taskmux-", 8) != 0) continue;
    std::string run = parent + "/" + entry->d_name;
    unique_fd fd(::open(run.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) continue;
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
      if (auto r = stop_dead_run(run); r.stopped || !r.left.empty()) found.push_back(std::move(r));
  }
  ::closedir(dir);
  return found;
}

}  // namespace

cgroup_leaf::cgroup_leaf(int parent_fd, std::string dir, std::string name)
    : parent_fd_(parent_fd), dir_(std::move(dir)), name_(std::move(name)) {}

int cgroup_leaf::open_join() const {
  return ::openat(parent_fd_, file("cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
}

bool cgroup_leaf::is_empty() const {
  std::string events = read_text_file(file("cgroup.events"), parent_fd_);
  auto at = events.find("populated ");
  return at != std::string::npos ? events[at + 10] == '0' : procs().empty();
}

std::vector<pid_t> cgroup_leaf::procs() const {
  return parse_pids(read_text_file(file("cgroup.procs"), parent_fd_));
}

void cgroup_leaf::kill_all() const {
  if (write_file(parent_fd_, file("cgroup.kill"), "1")) return;
  for (pid_t p : procs())
    ::kill(p, SIGKILL);
}

std::unique_ptr<cgroup_tree> cgroup_tree::create(boost::asio::io_context& loop,
                                                 const std::string& run_id, std::string& why) {
  auto parent = own_directory(why);
  if (!parent) return nullptr;
  std::string dir = *parent + "/taskmux-" + run_id;
  // Taskmuxes starting in the same cgroup take turns (flock on the parent), so none mistakes
  // another's fresh, not yet locked directory for a dead run's.
  unique_fd parent_fd(::open(parent->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent_fd) ::flock(parent_fd.get(), LOCK_EX);
  auto stale = remove_dead_runs(*parent);
  unique_fd lock_fd;
  bool made = ::mkdir(dir.c_str(), 0755) == 0;
  if (!made) {
    why = "unable to create " + dir + ": " + std::strerror(errno);
  } else if (lock_fd.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
             !lock_fd || ::flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    why = "unable to lock " + dir + ": " + std::strerror(errno);
  }
  parent_fd.reset();
  int inotify_fd = why.empty() ? ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
  if (why.empty() && inotify_fd < 0)
    why = std::string("unable to create an inotify instance: ") + std::strerror(errno);
  if (!why.empty()) {
    lock_fd.reset();
    if (made) ::rmdir(dir.c_str());
    return nullptr;
  }
  auto tree = std::unique_ptr<cgroup_tree>(
      new cgroup_tree(loop, std::move(dir), lock_fd.release(), inotify_fd));
  tree->stale_runs_ = std::move(stale);
  return tree;
}

cgroup_tree::cgroup_tree(boost::asio::io_context& loop, std::string dir, int lock_fd,
                         int inotify_fd)
    : dir_(std::move(dir)), lock_fd_(lock_fd), events_(loop, inotify_fd) {
  arm();
}

cgroup_tree::~cgroup_tree() {
  if (!removed_) remove();
  ::close(lock_fd_);
}

std::optional<cgroup_leaf> cgroup_tree::make_leaf(const std::string& name, std::string& why) {
  std::string dir = dir_ + "/" + name;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    why = "unable to create " + dir + ": " + std::strerror(errno);
    return std::nullopt;
  }
  leaves_.push_back(dir);
  return cgroup_leaf(lock_fd_, dir, name);
}

int cgroup_tree::watch(const cgroup_leaf& leaf, std::function<void()> changed) {
  int wd = ::inotify_add_watch(events_.native_handle(), (leaf.dir() + "/cgroup.events").c_str(),
                               IN_MODIFY);
  if (wd >= 0) watches_[wd] = std::move(changed);
  return wd;
}

void cgroup_tree::unwatch(int id) {
  if (watches_.erase(id)) ::inotify_rm_watch(events_.native_handle(), id);
}

void cgroup_tree::arm() {
  events_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this](boost::system::error_code ec) {
                       if (ec) return;
                       on_events();
                       arm();
                     });
}

void cgroup_tree::on_events() {
  alignas(inotify_event) char buf[4096];
  std::vector<int> changed;
  ssize_t n;
  while ((n = ::read(events_.native_handle(), buf, sizeof buf)) > 0)
    for (ssize_t at = 0; at < n;) {
      auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      if (e->mask & IN_MODIFY) changed.push_back(e->wd);
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  // A handler may unwatch (its own or another id): look each one up again.
  for (int wd : changed)
    if (auto it = watches_.find(wd); it != watches_.end()) {
      auto fn = it->second;
      fn();
    }
}

std::vector<std::string> cgroup_tree::remove() {
  removed_ = true;
  std::vector<std::string> stays;
  for (auto& w : watches_)
    ::inotify_rm_watch(events_.native_handle(), w.first);
  watches_.clear();
  for (auto& dir : leaves_)
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
      stays.push_back(dir + ": " + std::strerror(errno));
  leaves_.clear();
  if (::rmdir(dir_.c_str()) != 0 && errno != ENOENT)
    stays.push_back(dir_ + ": " + std::strerror(errno));
  return stays;
}

}  // namespace taskmux::process
