// Boost.URL compiled in header-only mode: this translation unit holds its implementation.
#include <boost/url/src.hpp>
