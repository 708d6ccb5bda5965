// How a command answers on its connection: once (`answer`), or as a stream (`stream`, then
// raw bytes with `more`, then `end`) for `logs -f`. A command may answer later than its call:
// `stop` answers once its instances are stopped. Loop thread only.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <functional>
#include <string>
#include <string_view>

namespace taskmux::control {

class responder {
 public:
  virtual ~responder() = default;
  /// The one reply line, as JSON text without its newline; the connection closes once it is
  /// written. Later calls do nothing.
  virtual void answer_text(std::string line) = 0;
  void answer(const boost::json::object& reply) { answer_text(boost::json::serialize(reply)); }
  /// Starts a stream: `header` as the reply line, then the bytes of more() as they are.
  virtual void stream(boost::json::object header) = 0;
  /// Bytes of the stream. Never blocks: a reader that does not keep up loses bytes (counted,
  /// and said in the stream once it catches up) rather than holding anything back.
  virtual void more(std::string_view bytes) = 0;
  /// Ends the stream; the connection closes once the bytes are written.
  virtual void end() = 0;
  /// `gone` runs once if the client goes away before the reply or the stream ended.
  virtual void on_gone(std::function<void()> gone) = 0;
  /// The client went away.
  virtual bool is_gone() const = 0;
};

}  // namespace taskmux::control
