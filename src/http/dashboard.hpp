// The dashboard page (src/http/dashboard.html, built into the binary): one self-contained HTML
// file, nothing fetched from elsewhere.
#pragma once

#include <string>

namespace taskmux::http {

/// The page; `controls`: with the start/stop/restart buttons (only when a token guards them).
std::string dashboard_page(bool controls);

}  // namespace taskmux::http
