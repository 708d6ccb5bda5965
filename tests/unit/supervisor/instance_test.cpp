// The instance as an interpreter, driven through a fake host: a fake clock with fake
// deadlines, fake spawns whose news the test delivers, fake leftovers and fake probes (as
// ninja's tests drive its builder through a FakeCommandRunner). No process is started.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "supervisor/instance.hpp"

namespace {

using namespace taskmux;
using namespace taskmux::supervisor;
using std::chrono::milliseconds;

class fake_host;

class fake_deadline final : public deadline {
 public:
  explicit fake_deadline(fake_host& h) : host_(h) {}
  ~fake_deadline() override;
  void arm(milliseconds after, std::function<void()> fire) override;
  void cancel() override { fire_ = nullptr; }

  fake_host& host_;
  clock::time_point due_{};
  std::function<void()> fire_;  ///< empty: not armed
};

class fake_spawns final : public process::spawn_service {
 public:
  struct pending {
    std::vector<std::string> argv;
    started_fn started;
    process::reaper::on_exit exited;
    std::string error;  ///< fail(): the spawn comes back with this
  };
  void start(const process::spawn_request& req, started_fn started, process::reaper::on_exit exited) override {
    queue.push_back({{req.argv.begin(), req.argv.end()}, std::move(started), std::move(exited), {}});
  }
  void fail(std::string error, started_fn started) override { queue.push_back({{}, std::move(started), {}, error}); }

  /// The oldest spawn comes back: as `pid` running, or failed.
  void complete(pid_t pid) {
    REQUIRE(!queue.empty());
    auto p = std::move(queue.front());
    queue.pop_front();
    process::spawn_result r;
    if (p.error.empty() && pid > 0) {
      r.pid = pid;
      exits[pid] = std::move(p.exited);
    } else {
      r.error = p.error.empty() ? "unable to execute x: No such file or directory" : p.error;
    }
    p.started(std::move(r));
  }
  /// `pid` exits with `code` (or dies of `signal`).
  void exit(pid_t pid, int code, int signal = 0) {
    REQUIRE(exits.count(pid));
    auto f = std::move(exits[pid]);
    exits.erase(pid);
    f(pid, signal ? signal : code << 8);
  }

  std::deque<pending> queue;
  std::map<pid_t, process::reaper::on_exit> exits;
};

class fake_leftovers final : public leftovers {
 public:
  explicit fake_leftovers(std::function<void()> changed) : changed_(std::move(changed)) {}
  process::unique_fd open_join(int&) override { return {}; }
  void begin(pid_t pid, const std::string& mark, int) override {
    pid_ = pid;
    mark_ = mark;
  }
  bool owns(const process::process_view& p) const override { return p.pid() == pid_; }
  bool find(int sig) override {
    if (left && sig) signals.push_back(sig);
    return left;
  }
  void signal(int sig) override { signals.push_back(sig); }
  void signal_main(int sig) override { main_signals.push_back(sig); }
  void kill() override { signals.push_back(SIGKILL); }
  /// The test's leftover processes are gone now.
  void all_gone() {
    left = false;
    changed_();
  }

  bool left = false;         ///< what find() answers
  std::vector<int> signals;       ///< everything sent to all of the run, in order
  std::vector<int> main_signals;  ///< everything sent to the main process alone
  std::function<void()> changed_;
  pid_t pid_ = 0;
  std::string mark_;
};

class fake_probe final : public probes::attempt {
 public:
  explicit fake_probe(std::shared_ptr<probes::done_fn> d) : done_(std::move(d)) {}
  ~fake_probe() override { *done_ = nullptr; }  // dropped: its done_fn is never called

 private:
  std::shared_ptr<probes::done_fn> done_;
};

class fake_host final : public host {
 public:
  explicit fake_host(const config::task& t) : launch_(t, secrets_), out_(open_null()), err_(open_null()) {}

  boost::asio::io_context& loop() override { return loop_; }
  clock::time_point now() override { return now_; }
  std::unique_ptr<deadline> make_deadline() override { return std::make_unique<fake_deadline>(*this); }
  process::spawn_service& spawns() override { return spawns_; }
  std::unique_ptr<leftovers> track(const config::task&, int, const std::string&,
                                   std::function<void()> changed) override {
    auto l = std::make_unique<fake_leftovers>(std::move(changed));
    leftovers_ = l.get();
    return l;
  }
  std::unique_ptr<probes::attempt> probe(const probes::target&, milliseconds, probes::done_fn done) override {
    auto d = std::make_shared<probes::done_fn>(std::move(done));
    probes_.push_back(d);
    return std::make_unique<fake_probe>(d);
  }
  bool has_exited(pid_t pid) override { return exited.count(pid) != 0; }
  task_launch& launch_of(const config::task&) override { return launch_; }
  logs::output& out() override { return out_; }
  logs::output& err() override { return err_; }
  const logs::line_format& format() override { return format_; }
  const std::string& run_id() const override { return run_id_; }
  bool deps_ready(const config::task&) override { return true; }
  std::string failed_dependency(const config::task&) override { return {}; }
  void emit(const event_record& r) override { reports.push_back(r); }
  bool shutting_down() const override { return false; }
  void on_state_change(instance& i) override { states.push_back(i.state()); }
  void log(std::string_view level, std::string_view text) override {
    logged.push_back(std::string(level) + ": " + std::string(text));
  }

  /// Moves the clock on by `d`, firing every deadline that falls due on the way, in time order.
  void advance(milliseconds d) {
    auto until = now_ + d;
    for (;;) {
      fake_deadline* next = nullptr;
      for (auto* dl : deadlines)
        if (dl->fire_ && dl->due_ <= until && (!next || dl->due_ < next->due_)) next = dl;
      if (!next) break;
      now_ = std::max(now_, next->due_);
      auto fire = std::move(next->fire_);
      next->fire_ = nullptr;
      fire();
    }
    now_ = until;
  }
  /// The oldest probe attempt in flight answers.
  void answer_probe(bool ok, std::string detail = "HTTP 503") {
    auto it = std::find_if(probes_.begin(), probes_.end(), [](auto& d) { return *d != nullptr; });
    REQUIRE(it != probes_.end());
    auto done = std::move(**it);
    **it = nullptr;
    done(ok, detail);
  }
  size_t probes_in_flight() const {
    return std::count_if(probes_.begin(), probes_.end(), [](auto& d) { return *d != nullptr; });
  }
  std::vector<report_event> events() const {
    std::vector<report_event> out;
    for (auto& r : reports) out.push_back(r.event);
    return out;
  }
  size_t count(report_event e) const {
    return std::count_if(reports.begin(), reports.end(), [e](auto& r) { return r.event == e; });
  }

  std::set<fake_deadline*> deadlines;
  fake_spawns spawns_;
  fake_leftovers* leftovers_ = nullptr;
  std::vector<event_record> reports;
  std::vector<state> states;
  std::vector<std::string> logged;
  std::set<pid_t> exited;  ///< processes that exited before the test delivers their exit

 private:
  static int open_null() { return ::open("/dev/null", O_WRONLY | O_CLOEXEC); }

  std::set<std::string> secrets_;
  task_launch launch_;
  boost::asio::io_context loop_;
  clock::time_point now_ = clock::time_point() + std::chrono::hours(1);
  std::vector<std::shared_ptr<probes::done_fn>> probes_;
  logs::output out_, err_;
  logs::line_format format_;
  std::string run_id_ = "abc123";
};

fake_deadline::~fake_deadline() { host_.deadlines.erase(this); }

void fake_deadline::arm(milliseconds after, std::function<void()> fire) {
  host_.deadlines.insert(this);
  due_ = host_.now() + after;
  fire_ = std::move(fire);
}

config::task task_named(std::string name) {
  config::task t;
  t.name = name;
  t.namespace_ = name;
  t.cmd.argv = {"/bin/true"};
  t.restart = config::restart_policy::always;
  t.backoff = {milliseconds(100), milliseconds(1000)};
  t.start_limit = {5, milliseconds(60'000)};
  t.stop_timeout = milliseconds(10'000);
  return t;
}

/// "api" with an HTTP health check every second, `failures` in a row failing it.
config::task with_health(int failures) {
  auto t = task_named("api");
  t.health = config::health_check{{{"127.0.0.1", 9}, "/health"}, milliseconds(1000), milliseconds(500), failures};
  return t;
}

}  // namespace

TEST_CASE("instance: exit 1 three times with burst 3 goes fatal, with exactly one fatal report") {
  // `burst` starts are allowed within `interval` (the first one counts): the exit after the
  // third start would need a fourth, so the task goes fatal instead.
  auto t = task_named("crash");
  t.start_limit = {3, milliseconds(60'000)};
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  CHECK(i.state() == state::stopped);  // the spawn is under way, the state as it was
  for (pid_t pid : {101, 102}) {
    h.spawns_.complete(pid);
    CHECK(i.state() == state::running);
    h.spawns_.exit(pid, 1);
    CHECK(i.state() == state::backoff);
    h.advance(milliseconds(2000));  // the backoff delay (100 ms, then 200, with jitter)
  }
  h.spawns_.complete(103);
  h.spawns_.exit(103, 1);
  CHECK(i.state() == state::fatal);
  CHECK(h.count(report_event::fatal) == 1);
  CHECK(h.count(report_event::exited) == 3);
  CHECK(h.reports.back().event == report_event::fatal);
  CHECK(h.reports.back().to == route::fault);
  h.advance(milliseconds(60'000));
  CHECK(h.spawns_.queue.empty());  // nothing more is started
  CHECK(h.count(report_event::fatal) == 1);
}

TEST_CASE("instance: a stop during a spawn in flight waits for it, then stops what it started") {
  auto t = task_named("web");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  REQUIRE(h.spawns_.queue.size() == 1);
  i.request_stop();
  CHECK(h.leftovers_->main_signals.empty());  // nothing to signal yet: no pid
  CHECK_FALSE(i.is_idle());
  h.spawns_.complete(200);
  // The spawn's news first, then the stop that waited for it.
  CHECK(i.state() == state::stopping);
  CHECK(h.leftovers_->main_signals == std::vector<int>{SIGTERM});
  CHECK(h.events() == std::vector{report_event::started, report_event::stopping});
  h.spawns_.exit(200, 0, SIGTERM);
  CHECK(i.state() == state::stopped);
  CHECK(i.is_idle());
  CHECK(h.reports.back().event == report_event::stopped);
  h.advance(milliseconds(20'000));  // no stop_timeout fires into the stopped instance
  CHECK(h.leftovers_->main_signals == std::vector<int>{SIGTERM});
  CHECK(h.leftovers_->signals.empty());
  CHECK(h.spawns_.queue.empty());
}

TEST_CASE("instance: a failed spawn comes back later, never inside the start, and backs off") {
  auto t = task_named("missing");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  CHECK(h.reports.empty());
  h.spawns_.complete(0);  // exec failed
  CHECK(i.state() == state::backoff);
  REQUIRE(h.reports.size() == 2);
  CHECK(h.reports[0].event == report_event::exited);
  CHECK(h.reports[0].message.starts_with("unable to execute x"));
  h.advance(milliseconds(2000));
  CHECK(h.spawns_.queue.size() == 1);
}

TEST_CASE("instance: leftovers that outlive the main process are stopped before the restart decision") {
  auto t = task_named("leaky");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(300);
  h.advance(milliseconds(5000));
  h.leftovers_->left = true;
  h.spawns_.exit(300, 3);
  CHECK(i.state() == state::stopping);
  CHECK(i.has_processes());
  CHECK(h.leftovers_->signals == std::vector<int>{SIGTERM});  // all of them: the main process is gone
  // The exit is said at once, as a fault, then the cleanup: nothing reads as if taskmux ended it.
  REQUIRE(h.events() ==
          std::vector{report_event::started, report_event::ready, report_event::exited, report_event::stopping});
  CHECK(h.reports[2].to == route::fault);
  CHECK(h.reports[2].message == "exited with code 3 after 5s");
  CHECK(h.reports[3].message == "stopping what it left running (SIGTERM to process group 300 and the processes it started)");
  // They ignore it: SIGKILL once stop_timeout passes, with a fault report.
  h.advance(milliseconds(10'000));
  CHECK(h.leftovers_->signals.back() == SIGKILL);
  CHECK(h.reports.back().event == report_event::fault);
  CHECK(h.reports.back().message == "what it left running did not stop within 10s of SIGTERM; sent SIGKILL to it");
  h.leftovers_->all_gone();
  CHECK(i.state() == state::backoff);
  CHECK_FALSE(i.has_processes());
  CHECK(h.count(report_event::exited) == 1);  // not twice
  // The early "exited" line could not say when it restarts: the backoff line does, in the log too.
  REQUIRE(h.reports.back().event == report_event::backoff);
  CHECK(h.reports.back().console);
  h.advance(milliseconds(2000));
  CHECK(h.spawns_.queue.size() == 1);  // the restart, once nothing of the last run is left
}

TEST_CASE("instance: a main process that exits 0 at once and leaves processes went to the background") {
  auto t = task_named("nginx");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(310);
  h.advance(milliseconds(30));
  h.leftovers_->left = true;
  h.spawns_.exit(310, 0);
  REQUIRE(h.events() ==
          std::vector{report_event::started, report_event::exited, report_event::fault, report_event::stopping});
  CHECK(h.reports[2].to == route::fault);
  CHECK(h.reports[2].message.starts_with("it put itself in the background: exited 0 after 30ms"));
  CHECK(h.reports[2].message.find("daemon off;") != std::string::npos);
  // The same exit after a long run is a plain exit with leftovers.
  h.leftovers_->all_gone();
  h.advance(milliseconds(2000));
  REQUIRE(h.spawns_.queue.size() == 1);
  h.spawns_.complete(311);
  h.advance(milliseconds(5000));
  h.leftovers_->left = true;
  h.spawns_.exit(311, 0);
  CHECK(h.count(report_event::fault) == 1);
}

TEST_CASE("instance: kill_mode mixed stops the main process first, then what it left") {
  auto t = task_named("gunicorn");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(320);
  i.request_stop();
  CHECK(h.leftovers_->main_signals == std::vector<int>{SIGTERM});
  CHECK(h.leftovers_->signals.empty());  // the workers are the main process's to stop
  CHECK(h.reports.back().message == "stopping (SIGTERM to main process 320)");
  h.advance(milliseconds(2000));
  h.leftovers_->left = true;  // a worker it did not wait for
  h.spawns_.exit(320, 0);
  CHECK(i.state() == state::stopping);
  CHECK(h.leftovers_->signals == std::vector<int>{SIGTERM});
  h.leftovers_->all_gone();
  CHECK(i.state() == state::stopped);
  CHECK(h.leftovers_->main_signals == std::vector<int>{SIGTERM});
  CHECK(h.count(report_event::exited) == 0);
}

TEST_CASE("instance: kill_mode group sends the stop signal to every process") {
  auto t = task_named("legacy");
  t.kill_mode = config::kill_mode::group;
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(330);
  i.request_stop();
  CHECK(h.leftovers_->signals == std::vector<int>{SIGTERM});
  CHECK(h.leftovers_->main_signals.empty());
  CHECK(h.reports.back().message == "stopping (SIGTERM to process group 330)");
  h.leftovers_->left = true;
  h.spawns_.exit(330, 0, SIGTERM);
  h.advance(milliseconds(10'000));
  CHECK(h.leftovers_->signals.back() == SIGKILL);
  CHECK(h.leftovers_->main_signals.empty());
}

TEST_CASE("instance: a health failure during a stop is not reported and changes nothing") {
  auto t = with_health(1);
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(400);
  h.advance(milliseconds(1000));  // ready = "started": up for 1 s
  REQUIRE(i.state() == state::ready);
  h.advance(milliseconds(1000));  // the first health check goes out
  REQUIRE(h.probes_in_flight() == 1);
  i.request_stop();
  CHECK(i.state() == state::stopping);
  CHECK(h.probes_in_flight() == 0);  // the checks of a run being stopped are dropped
  h.advance(milliseconds(5000));
  CHECK(h.probes_in_flight() == 0);
  CHECK(h.count(report_event::health_failed) == 0);
  h.spawns_.exit(400, 0, SIGTERM);
  CHECK(i.state() == state::stopped);
  CHECK(h.count(report_event::health_failed) == 0);
}

TEST_CASE("instance: failed health checks in a row stop a ready instance as a failure") {
  auto t = with_health(2);
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(500);
  h.advance(milliseconds(2000));
  h.answer_probe(false);
  CHECK(i.state() == state::ready);
  h.advance(milliseconds(1000));
  h.answer_probe(false);
  CHECK(i.state() == state::stopping);
  REQUIRE(h.count(report_event::health_failed) == 1);
  CHECK(h.reports.back().message.find("health check failed 2 times in a row") != std::string::npos);
  h.spawns_.exit(500, 0, SIGTERM);
  CHECK(i.state() == state::backoff);
  CHECK(h.reports[h.reports.size() - 2].to == route::fault);  // the exit of a failed run
}

TEST_CASE("instance: an event that does not apply is logged at debug and changes nothing") {
  auto t = task_named("idle");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::backoff_elapsed);
  CHECK(i.state() == state::stopped);
  CHECK(h.reports.empty());
  REQUIRE(h.logged.size() == 1);
  CHECK(h.logged[0] == "debug: idle[0]: backoff_elapsed ignored in state stopped");
}

TEST_CASE("instance: notify messages sent during the spawn are fed after its news, in order") {
  auto t = task_named("svc");
  t.ready = config::ready_notify{};
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  notify::message booting;
  booting.status = "booting";
  notify::message ready;
  ready.ready = true;
  i.on_notify(booting);
  i.on_notify(ready);
  CHECK(h.reports.empty());
  h.spawns_.complete(600);
  CHECK(i.state() == state::ready);
  CHECK(h.events() == std::vector{report_event::started, report_event::progress, report_event::ready});
  CHECK(i.status_text() == "booting");
}

TEST_CASE("instance: the shutdown's kill during a spawn waits for it, then kills what it started") {
  auto t = task_named("late");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  i.kill_now("shutdown_timeout (30s) passed");
  CHECK(h.leftovers_->signals.empty());
  h.spawns_.complete(700);
  CHECK(i.state() == state::stopping);
  CHECK(h.leftovers_->signals == std::vector<int>{SIGKILL});
  REQUIRE(h.count(report_event::fault) == 1);
  CHECK(h.reports.back().message ==
        "did not stop before the shutdown ended (shutdown_timeout (30s) passed; its stop_timeout is 10s); sent "
        "SIGKILL to its process group");
}

TEST_CASE("instance: the log's exit line says when it restarts, so its backoff report stays off the log") {
  auto t = task_named("crashy");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(340);
  h.advance(milliseconds(5000));
  h.spawns_.exit(340, 1);
  REQUIRE(h.reports.size() >= 2);
  CHECK(h.reports[h.reports.size() - 2].event == report_event::exited);
  CHECK(h.reports[h.reports.size() - 2].message.find("; restarting in ") != std::string::npos);
  CHECK(h.reports.back().event == report_event::backoff);
  CHECK_FALSE(h.reports.back().console);
}

TEST_CASE("instance: a ready check that passes after the main process exited is not ready") {
  // Someone else's port answers the tcp check (an http or exec check may pass the same way)
  // while the task has already exited, before the reaper has handed its exit over.
  const std::vector<config::ready_check> checks{
      config::ready_tcp{{"127.0.0.1", 8000}}, config::ready_http{{{"127.0.0.1", 8000}, "/health"}},
      config::ready_exec{{"/bin/true"}}};
  for (auto& check : checks) {
    auto t = task_named("web");
    t.ready = check;
    fake_host h(t);
    instance i(h, t, 0);
    i.handle(event::start);
    h.spawns_.complete(900);
    REQUIRE(h.probes_in_flight() == 1);
    h.exited.insert(900);
    h.answer_probe(true, "connected");
    CHECK(i.state() == state::running);
    h.spawns_.exit(900, 1);
    CHECK(i.state() == state::backoff);
    CHECK(h.count(report_event::ready) == 0);
    CHECK(h.probes_in_flight() == 0);
  }
}

TEST_CASE("instance: a ready check that passes while the main process runs is ready") {
  auto t = task_named("web");
  t.ready = config::ready_tcp{{"127.0.0.1", 8000}};
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(901);
  h.exited.insert(42);  // another process's exit does not matter
  h.answer_probe(true, "connected");
  CHECK(i.state() == state::ready);
  CHECK(h.count(report_event::ready) == 1);
}

TEST_CASE(
    "instance: ready = \"started\" is not ready when the main process exited within the second") {
  auto t = task_named("web");
  fake_host h(t);
  instance i(h, t, 0);
  i.handle(event::start);
  h.spawns_.complete(902);
  h.advance(milliseconds(900));
  h.exited.insert(902);
  h.advance(milliseconds(200));  // the 1 s is up, the exit not handled yet
  CHECK(i.state() == state::running);
  h.spawns_.exit(902, 0);
  CHECK(h.count(report_event::ready) == 0);
}
