// Boost.Process v2 in 1.81 must be compiled once in separate-compilation mode (see REFERENCE.md).
#include <boost/process/v2/src.hpp>
