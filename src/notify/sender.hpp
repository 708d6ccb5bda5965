// The sending end of the notify protocol, for `taskmux notify` (and any sd_notify user).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace taskmux::notify {

/// Sends `payload` as one datagram to `socket` (a path, or "@name" for an abstract socket).
/// With a `receipt` wait, a pipe goes along with it and the call returns once the receiver
/// closed it, i.e. processed the datagram, so the sender can exit right away and still be
/// known by its pid. Returns "" or a readable error.
std::string send(std::string_view socket, std::string_view payload,
                 std::chrono::milliseconds receipt = std::chrono::milliseconds(0));

}  // namespace taskmux::notify
