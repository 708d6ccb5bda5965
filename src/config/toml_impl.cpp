// toml++'s parser, compiled once here (TOML_HEADER_ONLY=0 everywhere else): see CMakeLists.txt.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
