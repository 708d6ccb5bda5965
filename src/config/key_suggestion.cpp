#include "config/key_suggestion.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace taskmux::config {
namespace {

/// Names people bring along, folded (lower case, '_' for '-'), and the key each one means.
/// A name only counts in a table that has its key.
constexpr std::pair<std::string_view, std::string_view> other_tools[] = {
    // supervisord [program:x]
    {"autorestart", "restart"},
    {"exitcodes", "restart"},
    {"stopsignal", "stop_signal"},
    {"stopwaitsecs", "stop_timeout"},
    {"stopasgroup", "kill_mode"},
    {"killasgroup", "kill_mode"},
    {"directory", "workdir"},
    {"environment", "env"},
    {"numprocs", "instances"},
    {"startretries", "start_limit"},
    {"priority", "depends_on"},
    {"process_name", "name"},
    // systemd [Service] and [Unit]
    {"execstart", "command"},
    {"workingdirectory", "workdir"},
    {"killmode", "kill_mode"},
    {"killsignal", "stop_signal"},
    {"timeoutstopsec", "stop_timeout"},
    {"restartsec", "backoff"},
    {"startlimitburst", "start_limit"},
    {"startlimitintervalsec", "start_limit"},
    {"watchdogsec", "watchdog"},
    {"runtimemaxsec", "timeout"},
    {"type", "ready"},
    {"after", "depends_on"},
    {"requires", "depends_on"},
    {"wants", "depends_on"},
    // docker-compose services
    {"entrypoint", "command"},
    {"cmd", "command"},
    {"args", "command"},
    {"working_dir", "workdir"},
    {"depends", "depends_on"},
    {"dependencies", "depends_on"},
    {"stop_grace_period", "stop_timeout"},
    {"healthcheck", "health"},
    {"replicas", "instances"},
    {"scale", "instances"},
    {"retries", "failures"},
    {"period", "interval"},
    // pm2, process-compose
    {"cwd", "workdir"},
    {"script", "command"},
    {"availability", "restart"},
    {"max_restarts", "start_limit"},
    {"restart_delay", "backoff"},
    {"kill_timeout", "stop_timeout"},
    {"readiness_probe", "ready"},
    {"liveness_probe", "health"},
    {"shutdown_timeout", "stop_timeout"},
    // the address of [http]
    {"bind", "listen"},
    {"address", "listen"},
    {"addr", "listen"},
    {"host", "listen"},
    {"port", "listen"},
    {"vars", "env"},
};

std::string fold(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    else if (c == '-')
      c = '_';
  }
  return out;
}

/// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::optional<std::string> nearest(const std::string& unknown,
                                   const std::set<std::string, std::less<>>& known) {
  constexpr size_t max_edits = 2;
  std::optional<std::string> best;
  size_t best_distance = max_edits + 1;
  bool tied = false;
  for (auto& k : known) {
    size_t d = edit_distance(unknown, fold(k));
    // "pid" is 2 edits from "tcp": a guess must get most of the name right.
    if (d > max_edits || 2 * d >= unknown.size()) continue;
    if (d < best_distance) {
      best = k;
      best_distance = d;
      tied = false;
    } else if (d == best_distance) {
      tied = true;
    }
  }
  return tied ? std::nullopt : best;
}

std::optional<std::string> by_prefix(const std::string& unknown,
                                     const std::set<std::string, std::less<>>& known) {
  constexpr size_t min_length = 3;
  std::optional<std::string> longer, shorter;
  size_t longer_count = 0;
  for (auto& k : known) {
    auto folded = fold(k);
    if (folded.size() < min_length || unknown.size() < min_length) continue;
    // "health_check" -> "health"; the longest such key is the most specific.
    if (unknown.starts_with(folded) && (!shorter || folded.size() > shorter->size())) shorter = k;
    if (folded.starts_with(unknown)) {
      longer = k;
      ++longer_count;
    }
  }
  // "namesp": "name" begins it, it begins "namespace": no clear guess.
  if (shorter) return longer_count == 0 ? shorter : std::nullopt;
  return longer_count == 1 ? longer : std::nullopt;
}

}  // namespace

std::optional<std::string> suggest_key(std::string_view unknown,
                                       const std::set<std::string, std::less<>>& known) {
  auto folded = fold(unknown);
  for (auto& [name, key] : other_tools)
    if (name == folded && known.contains(key)) return std::string(key);
  if (auto k = nearest(folded, known)) return k;
  return by_prefix(folded, known);
}

}  // namespace taskmux::config
