// sd_notify payloads: what is understood, what is ignored, what is refused.
#include <doctest/doctest.h>

#include <string>

#include "notify/datagram.hpp"

using taskmux::notify::parse;

TEST_CASE("systemd's assignments and taskmux's own") {
  auto p = parse("READY=1\nSTATUS=warming up: 3/10\nWATCHDOG=1\nSTOPPING=1\nERRNO=5\nFAULT=disk full\nSUCCESS=done=yes\n");
  REQUIRE(p.value);
  auto& m = *p.value;
  CHECK(m.ready);
  CHECK(m.watchdog);
  CHECK(m.stopping);
  CHECK_FALSE(m.watchdog_trigger);
  CHECK(m.status == "warming up: 3/10");
  CHECK(m.error_number == 5);
  CHECK(m.fault == "disk full");
  CHECK(m.success == "done=yes");  // only the first '=' separates
}

TEST_CASE("no trailing newline, empty lines, and an empty STATUS are fine") {
  auto p = parse("\nSTATUS=\n\nREADY=1");
  REQUIRE(p.value);
  CHECK(p.value->ready);
  CHECK(p.value->status == "");
}

TEST_CASE("WATCHDOG=trigger asks to be treated as hung") {
  auto p = parse("WATCHDOG=trigger");
  REQUIRE(p.value);
  CHECK(p.value->watchdog_trigger);
  CHECK_FALSE(p.value->watchdog);
}

TEST_CASE("systemd keys that do not apply are accepted and ignored") {
  auto p = parse("MAINPID=42\nBARRIER=1");
  REQUIRE(p.value);
  CHECK_FALSE(p.value->ready);
  CHECK_FALSE(p.value->status);
}

TEST_CASE("unknown keys are skipped beside known ones; alone they are refused") {
  CHECK(parse("X_CUSTOM=1\nREADY=1").value);
  auto p = parse("X_CUSTOM=1");
  CHECK_FALSE(p.value);
  CHECK(p.error.find("nothing taskmux understands") != std::string::npos);
}

TEST_CASE("malformed datagrams are refused with a reason") {
  for (auto bad : {std::string("garbage"), std::string("ready=1"), std::string("READY=yes"), std::string("READY=1\0x", 9),
                   std::string("ERRNO=-1"), std::string("ERRNO=5x"), std::string("=1"), std::string("WATCHDOG=2"),
                   std::string(""), std::string(5000, 'A')}) {
    CAPTURE(bad.substr(0, 20));
    auto p = parse(bad);
    CHECK_FALSE(p.value);
    CHECK_FALSE(p.error.empty());
  }
}
