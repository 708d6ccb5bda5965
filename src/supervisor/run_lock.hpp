// `<state_dir>/run.lock`: flock'ed while a taskmux runs on that state_dir, and holding its run
// id. A taskmux killed with SIGKILL leaves its id there with the lock free: the next one knows
// which run's marked processes (TASKMUX_INSTANCE=<run>/...) may still be about.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace taskmux::supervisor {

class run_lock {
 public:
  /// Takes the lock and writes `run_id`. `previous` gets the run id a dead taskmux left ("" when
  /// the last one exited cleanly or there was none). nullptr, with `why`, when the file cannot
  /// be opened or another live taskmux holds it.
  static std::unique_ptr<run_lock> take(const std::filesystem::path& state_dir, const std::string& run_id,
                                        std::string& previous, std::string& why);
  ~run_lock();  ///< a clean exit: empties the file, then lets go of the lock
  run_lock(const run_lock&) = delete;
  run_lock& operator=(const run_lock&) = delete;

 private:
  explicit run_lock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace taskmux::supervisor
