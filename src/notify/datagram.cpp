#include "notify/datagram.hpp"

#include <algorithm>
#include <iterator>
#include <charconv>

namespace taskmux::notify {
namespace {

/// systemd keys that mean nothing under taskmux; accepted so sd_notify programs work unchanged.
constexpr std::string_view ignored_keys[] = {
    "MAINPID", "RELOADING", "BUSERROR", "WATCHDOG_USEC", "EXTEND_TIMEOUT_USEC", "FDSTORE", "FDSTOREREMOVE",
    "FDNAME",  "FDPOLL",    "BARRIER",  "NOTIFYACCESS",  "MONOTONIC_USEC",      "EXIT_STATUS",
};

bool valid_key(std::string_view k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9'); });
}

parsed refuse(std::string why) { return {std::nullopt, std::move(why)}; }

}  // namespace

parsed parse(std::string_view payload) {
  if (payload.size() > max_datagram) return refuse("larger than " + std::to_string(max_datagram) + " bytes");
  if (payload.find('\0') != std::string_view::npos) return refuse("contains a NUL byte");
  message m;
  bool understood = false;
  while (!payload.empty()) {
    auto nl = payload.find('\n');
    auto line = payload.substr(0, nl);
    payload.remove_prefix(nl == std::string_view::npos ? payload.size() : nl + 1);
    if (line.empty()) continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return refuse("line without '=': \"" + std::string(line.substr(0, 40)) + "\"");
    auto key = line.substr(0, eq), value = line.substr(eq + 1);
    if (!valid_key(key)) return refuse("bad key \"" + std::string(key.substr(0, 40)) + "\"");
    auto flag = [&](bool& field) {
      if (value != "1") return false;
      field = true;
      return true;
    };
    if (key == "READY") {
      if (!flag(m.ready)) return refuse("READY=" + std::string(value.substr(0, 20)) + " (only READY=1 exists)");
    } else if (key == "STOPPING") {
      if (!flag(m.stopping)) return refuse("STOPPING=" + std::string(value.substr(0, 20)) + " (only STOPPING=1 exists)");
    } else if (key == "WATCHDOG") {
      if (value == "trigger") m.watchdog_trigger = true;
      else if (!flag(m.watchdog)) return refuse("WATCHDOG=" + std::string(value.substr(0, 20)) + " (WATCHDOG=1 or WATCHDOG=trigger)");
    } else if (key == "STATUS") {
      m.status = std::string(value);
    } else if (key == "FAULT") {
      m.fault = std::string(value);
    } else if (key == "SUCCESS") {
      m.success = std::string(value);
    } else if (key == "ERRNO") {
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 0)
        return refuse("ERRNO=" + std::string(value.substr(0, 20)) + " is not an error number");
      m.error_number = n;
    } else if (std::find(std::begin(ignored_keys), std::end(ignored_keys), key) == std::end(ignored_keys)) {
      continue;  // unknown keys are skipped; a datagram of nothing but them is refused below
    }
    understood = true;
  }
  if (!understood) return refuse("nothing taskmux understands in it");
  return {m, {}};
}

}  // namespace taskmux::notify
