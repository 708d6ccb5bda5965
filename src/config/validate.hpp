// Checks across tasks: unique names, references (depends_on, sftp), dependency cycles, users.
#pragma once

#include <toml++/toml.h>

#include "config/model.hpp"
#include "config/table_reader.hpp"

namespace taskmux::config {

void validate(const toml::table& root, const config& c, reader_context& ctx);

}  // namespace taskmux::config
