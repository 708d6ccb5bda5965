// JSON text written straight out, for the documents taskmux writes most: status rows and
// report messages. Faster than building a boost::json tree to serialize it (a status of 500
// rows was thousands of allocations), and numbers come out plain ("4", "0.25", "12.5"), where
// boost::json 1.81 writes doubles as "4E0".
#pragma once

#include <charconv>
#include <chrono>
#include <concepts>
#include <string>
#include <string_view>

#include "logs/format.hpp"

namespace taskmux::logs {

class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  /// The next member's key (with its comma): key("pid").number(42).
  json_writer& key(std::string_view k) {
    if (!first_) out_ += ',';
    out_ += '"';
    out_ += k;
    out_ += "\":";
    first_ = false;
    return *this;
  }
  /// A string; invalid UTF-8 bytes become U+FFFD.
  void text(std::string_view s) {
    out_ += '"';
    append_json_escaped(out_, s);
    out_ += '"';
    first_ = false;
  }
  void timestamp(std::chrono::system_clock::time_point t) {
    out_ += '"';
    append_iso_timestamp(out_, t);
    out_ += '"';
    first_ = false;
  }
  template <std::integral T>
  void number(T v) {
    char b[24];
    out_.append(b, std::to_chars(b, b + sizeof b, v).ptr);
    first_ = false;
  }
  /// The shortest text that reads back as `v`: 4 -> "4", 0.25 -> "0.25".
  void number(double v) {
    char b[32];
    out_.append(b, std::to_chars(b, b + sizeof b, v).ptr);
    first_ = false;
  }
  /// A duration in seconds: 1500ms -> 1.5.
  void seconds(std::chrono::milliseconds d) { number(static_cast<double>(d.count()) / 1000.0); }
  void boolean(bool v) {
    out_ += v ? "true" : "false";
    first_ = false;
  }
  void null() {
    out_ += "null";
    first_ = false;
  }
  /// JSON text made elsewhere, as it is.
  void raw(std::string_view json) {
    out_ += json;
    first_ = false;
  }
  /// '{' or '['; the next key or element is the first.
  void open(char c) {
    out_ += c;
    first_ = true;
  }
  void close(char c) {
    out_ += c;
    first_ = false;
  }
  /// Before an array element but the first.
  void element() {
    if (!first_) out_ += ',';
  }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace taskmux::logs
