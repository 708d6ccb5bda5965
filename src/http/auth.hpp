// The token rule of [http]: what a request must carry when `token` is set. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taskmux::http {

/// The cookie the dashboard sets after `?token=` (HttpOnly, SameSite=Strict, Path=/).
inline constexpr std::string_view token_cookie_name = "taskmux_token";

/// `expected == given`, in a time that depends on the length of `expected` only (no early
/// exit at the first difference: the position of a wrong byte is not measurable).
bool token_equals(std::string_view expected, std::string_view given);

/// The credentials a request carries: its Authorization and Cookie header values ("" when absent).
struct credentials {
  std::string_view authorization;
  std::string_view cookie;
};

enum class verdict {
  granted,  ///< no token is set, or the request carries it
  missing,  ///< a token is set and the request carries no credentials
  wrong,    ///< it carries a Bearer token or a cookie that is not the token
};

/// `token` empty: always granted. Else an "Authorization: Bearer TOKEN" header or the
/// dashboard's cookie must hold it.
verdict check_token(std::string_view token, const credentials& c);

/// The token of an Authorization value "Bearer TOKEN" (scheme case-insensitive); nullopt when
/// it is not one.
std::optional<std::string_view> bearer_token(std::string_view authorization);

/// Cookie `name` of a Cookie header ("a=1; b=2"), percent-decoded; nullopt when absent.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

/// The Set-Cookie value that keeps `token` (percent-encoded where a cookie value cannot hold a
/// byte).
std::string token_cookie(std::string_view token);

}  // namespace taskmux::http
