// Placeholder: lands with issue #4.
#include <gtest/gtest.h>
