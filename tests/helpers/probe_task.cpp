// A small program whose first argument picks a behaviour, for the integration tests:
//   exit N | sleep S | ignore-term S | orphans N | background S PIDFILE [CHILD_S]
//   setsid-child S PIDFILE [CHILD_S] (the child lives CHILD_S, by default as long as the parent)
//   escape S FILE (a child that leaves the session and re-execs itself with no environment)
//   flood BYTES LINE_LEN | long-line BYTES | binary | env | stamp FILE S (append "start end" times)
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

extern char** environ;

namespace {

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) std::exit(3);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void write_pid(const char* file, pid_t pid) {
  FILE* f = std::fopen(file, "a");
  if (!f) std::exit(4);
  std::fprintf(f, "%d\n", pid);
  std::fclose(f);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// N children, each forks a grandchild and exits at once: the grandchildren are orphans that
/// get reparented to the subreaper / PID 1, and exit together a moment later.
int orphans(int n) {
  for (int i = 0; i < n; ++i) {
    pid_t child = ::fork();
    if (child == 0) {
      if (::fork() == 0) {
        sleep_s(0.5);
        _exit(0);
      }
      _exit(0);
    }
    ::waitpid(child, nullptr, 0);
  }
  std::printf("forked %d orphans\n", n);
  std::fflush(stdout);
  for (;;) ::pause();
}

int background(double s, const char* pidfile, bool new_session, double child_s) {
  pid_t child = ::fork();
  if (child == 0) {
    if (new_session) ::setsid();
    // Ignore TERM so only a SIGKILL (or the setsid-aware stop) can end it.
    if (new_session) ::signal(SIGTERM, SIG_IGN);
    write_pid(pidfile, ::getpid());
    sleep_s(child_s);
    _exit(0);
  }
  std::printf("started %s child %d\n", new_session ? "setsid" : "background", child);
  std::fflush(stdout);
  sleep_s(s);
  return 0;
}

/// A child that calls setsid and re-execs itself as `escaped FILE` with an empty environment
/// (no TASKMUX_INSTANCE mark, no group): only a cgroup still knows where it came from.
int escape(double s, const char* file) {
  pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    const char* args[] = {"probe_task", "escaped", file, nullptr};
    const char* no_env[] = {nullptr};
    ::execve("/proc/self/exe", const_cast<char* const*>(args), const_cast<char* const*>(no_env));
    _exit(127);
  }
  std::printf("started escaping child %d\n", child);
  std::fflush(stdout);
  sleep_s(s);
  return 0;
}

/// The escaped side: ignores TERM, says it is there (pid in FILE), sleeps for an hour.
int escaped(const char* file) {
  if (environ && environ[0]) return 5;
  ::signal(SIGTERM, SIG_IGN);
  write_pid(file, ::getpid());
  sleep_s(3600);
  return 0;
}

int flood(long long bytes, int line_len) {
  std::string line(static_cast<size_t>(line_len - 1), 'x');
  line += '\n';
  std::string block;
  while (block.size() < 64 * 1024) block += line;
  long long done = 0;
  while (done + static_cast<long long>(block.size()) <= bytes) {
    write_all(1, block.data(), block.size());
    done += static_cast<long long>(block.size());
  }
  while (done + line_len <= bytes) {
    write_all(1, line.data(), line.size());
    done += line_len;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 64;
  std::string what = argv[1];
  auto arg = [&](int i, const char* fallback) { return argc > i ? argv[i] : fallback; };
  if (what == "exit") return std::atoi(arg(2, "0"));
  if (what == "sleep") {
    sleep_s(std::atof(arg(2, "3600")));
    return 0;
  }
  if (what == "ignore-term") {
    ::signal(SIGTERM, SIG_IGN);
    std::printf("ignoring SIGTERM\n");
    std::fflush(stdout);
    sleep_s(std::atof(arg(2, "3600")));
    return 0;
  }
  if (what == "orphans") return orphans(std::atoi(arg(2, "10")));
  if (what == "background" || what == "setsid-child") {
    double s = std::atof(arg(2, "3600"));
    return background(s, arg(3, "/dev/null"), what == "setsid-child", argc > 4 ? std::atof(argv[4]) : s);
  }
  if (what == "escape") return escape(std::atof(arg(2, "3600")), arg(3, "/dev/null"));
  if (what == "escaped") return escaped(arg(2, "/dev/null"));
  if (what == "flood") return flood(std::atoll(arg(2, "1048576")), std::atoi(arg(3, "100")));
  if (what == "long-line") {
    std::string line(static_cast<size_t>(std::atoll(arg(2, "1048576"))), 'L');
    line += '\n';
    write_all(1, line.data(), line.size());
    return 0;
  }
  if (what == "binary") {
    std::string bytes;
    for (int i = 0; i < 256; ++i)
      if (i != '\n') bytes += static_cast<char>(i);
    bytes += "\nend\n";
    write_all(1, bytes.data(), bytes.size());
    return 0;
  }
  if (what == "env") {
    for (char** e = environ; *e; ++e) std::printf("%s\n", *e);
    return 0;
  }
  if (what == "stamp") {
    double start = now_s();
    sleep_s(std::atof(arg(3, "0")));
    FILE* f = std::fopen(arg(2, "/dev/null"), "a");
    if (!f) return 4;
    std::fprintf(f, "%.3f %.3f\n", start, now_s());
    std::fclose(f);
    return std::atoi(arg(4, "0"));
  }
  std::fprintf(stderr, "probe_task: unknown behaviour %s\n", what.c_str());
  return 64;
}
