#include "config/signal_names.hpp"

#include <algorithm>
#include <csignal>

namespace taskmux::config {
namespace {

struct named_signal {
  const char* name;
  int number;
};

constexpr named_signal signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},   {"PWR", SIGPWR},   {"SYS", SIGSYS},
    {"STKFLT", SIGSTKFLT},
};

}  // namespace

std::optional<int> parse_signal(std::string_view s) {
  if (s.starts_with("SIG")) s.remove_prefix(3);
  for (auto& n : signals)
    if (s == n.name) return n.number;
  if (!s.empty() && s.size() <= 2 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    int v = std::stoi(std::string(s));
    if (v > 0 && v < NSIG) return v;
  }
  return std::nullopt;
}

std::string signal_name(int signo) {
  for (auto& n : signals)
    if (n.number == signo) return std::string("SIG") + n.name;
  return "signal " + std::to_string(signo);
}

}  // namespace taskmux::config
