// Spawns on a thread of its own, for two reasons:
// - vfork suspends the calling thread until the child has exec'd: a few hundred µs for a small
//   binary, milliseconds or more for a big one, a slow disk or a loaded machine. On the event
//   loop that wait would hold up every other task's I/O.
// - The thread has a descriptor table of its own, taken at start when taskmux has a handful of
//   descriptors open. A vfork copies the caller's table and the exec closes the copy again: from
//   the loop's table, with two pipes per instance, every spawn would cost time in proportion to
//   the number of instances. The few descriptors a child needs are fetched from the loop's table
//   with pidfd_getfd (Linux 5.6); without it the thread shares the loop's table. Nothing on the
//   thread may use a descriptor number of the loop's (not even asio::post, whose wake-up writes
//   to the reactor's descriptors): results go back through an eventfd both tables hold.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "process/spawn.hpp"

namespace taskmux::process {

class spawner {
 public:
  using done_fn = std::function<void(spawn_result)>;

  enum class table {
    own,     ///< a table of its own when the kernel allows it (the normal case)
    shared,  ///< the loop's (the fallback; tests choose it to run that path too)
  };

  /// Results are delivered on `loop`, in the order of submit(). Construct it while taskmux has
  /// few descriptors open.
  explicit spawner(boost::asio::io_context& loop, table t = table::own);
  /// Waits for the spawn in progress; queued ones are dropped. Children get PR_SET_PDEATHSIG
  /// from this thread, so destroy it only when taskmux is done with its children.
  ~spawner();
  spawner(const spawner&) = delete;
  spawner& operator=(const spawner&) = delete;

  /// Queues one spawn. Everything `req` points to (argv, env, user, fds) must stay alive and
  /// unchanged until `done` runs on the loop.
  void submit(const spawn_request& req, done_fn done);

  /// The thread works with a descriptor table of its own (see above).
  bool has_own_descriptors() const { return own_table_; }
  /// Why it does not ("unshare: Operation not permitted"); "" when it does or was told not to.
  const std::string& shared_table_reason() const { return shared_reason_; }

 private:
  void run(int pidfd);
  /// On the loop: runs the `done` of every finished spawn, in order.
  void deliver();
  void arm();
  /// Runs `req` with its descriptors fetched into this thread's own table.
  spawn_result spawn_from_own_table(spawn_request req);

  struct job {
    spawn_request req;
    done_fn done;
  };

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> jobs_;
  std::deque<std::pair<spawn_result, done_fn>> finished_;
  /// Written by the thread after it finished a spawn (the same number in both tables).
  boost::asio::posix::stream_descriptor finished_signal_;
  bool started_ = false;
  bool idle_ = false;  ///< the thread waits for work: submit() has to wake it
  bool stopping_ = false;
  bool own_table_ = false;
  std::string shared_reason_;
  int pidfd_ = -1;     ///< taskmux itself, in the thread's own table: the source of pidfd_getfd
  int dev_null_ = -1;  ///< in the thread's own table
  std::thread thread_;
};

}  // namespace taskmux::process
