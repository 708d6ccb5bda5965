#include "process/signals.hpp"

#include <signal.h>
#include <unistd.h>

// The sanitizers' own SEGV/BUS/... handlers report faults; ours would hide their report.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TASKMUX_FAULT_HANDLER 0
#else
#define TASKMUX_FAULT_HANDLER 1
#endif

namespace taskmux::process {
namespace {

#if TASKMUX_FAULT_HANDLER
constexpr int fault_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT};

void on_fault_signal(int signo, siginfo_t* info, void*) {
  // si_code <= 0: sent by a process (kill, sigqueue, tgkill), not raised by a fault.
  bool sent_by_another = info->si_code <= 0 && info->si_pid != ::getpid();
  if (sent_by_another) return;
  // A real fault, or abort() in taskmux itself: the default action, as if there were no
  // handler. Returning re-runs the faulting instruction with SIG_DFL in place.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(signo, &dfl, nullptr);
  if (info->si_code <= 0) ::raise(signo);
}
#endif

}  // namespace

std::vector<int> loop_signals() {
  std::vector<int> out{SIGHUP,  SIGINT,  SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
                       SIGXCPU, SIGXFSZ, SIGIO,   SIGPWR,  SIGTSTP, SIGTTIN, SIGTTOU, SIGSTKFLT};
  for (int s = SIGRTMIN; s <= SIGRTMAX; ++s) out.push_back(s);
  return out;
}

void ignore_fault_signals_from_others() {
#if TASKMUX_FAULT_HANDLER
  struct sigaction sa {};
  sa.sa_sigaction = on_fault_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int s : fault_signals) ::sigaction(s, &sa, nullptr);
#endif
}

}  // namespace taskmux::process
