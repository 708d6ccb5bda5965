// Lifecycle events as readable lines of taskmux's own on its stderr: `taskmux | web[0] started`.
#pragma once

#include "supervisor/events.hpp"

namespace taskmux::supervisor {

class supervisor;

class console_sink final : public event_sink {
 public:
  explicit console_sink(supervisor& s) : supervisor_(s) {}
  void on_event(const event_record&) override;

 private:
  supervisor& supervisor_;
};

}  // namespace taskmux::supervisor
