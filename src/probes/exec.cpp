// The exec probe: a command's exit code, through the one reaper like every other child.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probes/probe.hpp"
#include "process/process_group.hpp"
#include "process/spawn.hpp"
#include "process/unique_fd.hpp"

namespace taskmux::probes {
namespace {

class exec_attempt final : public attempt {
 public:
  struct state {
    explicit state(boost::asio::io_context& loop) : deadline(loop) {}
    boost::asio::steady_timer deadline;
    done_fn done;
    pid_t pgid = 0;  ///< the command leads its own group
    // What the spawner reads until it is done: owned here, as the attempt may go first.
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::vector<const char*> env_ptrs;
    process::unique_fd null;
    void finish(bool ok, std::string detail) {
      deadline.cancel();
      if (pgid > 0) process::signal_group(pgid, SIGKILL);  // whatever it started goes too
      pgid = 0;
      auto d = std::move(done);
      done = nullptr;
      if (d) d(ok, std::move(detail));
    }
  };

  explicit exec_attempt(std::shared_ptr<state> s) : s_(std::move(s)) {}
  ~exec_attempt() override {
    s_->done = nullptr;
    s_->finish(false, "");
  }

 private:
  std::shared_ptr<state> s_;
};

}  // namespace

std::unique_ptr<attempt> exec(boost::asio::io_context& loop, process::spawn_service& spawns, const command& cmd,
                              std::chrono::milliseconds timeout, done_fn done) {
  auto s = std::make_shared<exec_attempt::state>(loop);
  s->done = std::move(done);
  s->argv = cmd.argv;
  s->env.assign(cmd.env.begin(), cmd.env.end());
  for (auto& kv : s->env) s->env_ptrs.push_back(kv.c_str());
  s->null.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  process::spawn_request req{.argv = s->argv, .env = s->env_ptrs, .workdir = cmd.workdir,
                             .stdout_fd = s->null.get(), .stderr_fd = s->null.get()};
  auto exited = [s](pid_t, int status) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return s->finish(true, "exit code 0");
    s->finish(false, WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                         : "exit code " + std::to_string(WEXITSTATUS(status)));
  };
  spawns.start(req, [s, timeout](process::spawn_result r) {
    s->null.reset();
    if (r.pid <= 0) return s->finish(false, r.error);
    s->pgid = r.pid;
    if (!s->done) return s->finish(false, "");  // the attempt was dropped meanwhile: kill it
    s->deadline.expires_after(timeout);
    s->deadline.async_wait([s, timeout](boost::system::error_code ec) {
      if (!ec) s->finish(false, "timed out after " + std::to_string(timeout.count()) + "ms");
    });
  }, exited);
  return std::make_unique<exec_attempt>(s);
}

}  // namespace taskmux::probes
