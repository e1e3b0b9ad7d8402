# fusebox_warnings: an interface target every fusebox target links PRIVATE.
# Not -Wnull-dereference: with GCC 12 at -O2 it fires inside libstdc++'s own inlined string
# and streambuf code, so it would only teach people to ignore warnings.
add_library(fusebox_warnings INTERFACE)
target_compile_options(fusebox_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough -Wcast-qual
  -Wmissing-declarations -Wundef)
if(FUSEBOX_WERROR)
  target_compile_options(fusebox_warnings INTERFACE -Werror)
endif()

# Sim mode promises the same numbers for the same seed on any compiler: forbid the
# compiler from fusing a*b+c into one FMA (GCC does so by default outside ISO mode),
# which would change the last bits of distribution draws between builds.
add_library(fusebox_determinism INTERFACE)
target_compile_options(fusebox_determinism INTERFACE -ffp-contract=off -fno-fast-math)
