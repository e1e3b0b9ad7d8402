#pragma once
// The `fusebox` command line: the composition root that wires the parts together.

#include <iosfwd>

namespace fusebox::harness {

// Process exit codes, the contract CI scripts rely on.
enum ExitCode : int {
  kExitOk = 0,           // every check held
  kExitCheckFailed = 1,  // an assertion or invariant failed
  kExitBadInput = 2,     // bad arguments or files, or a start-up failure
};

// Runs `fusebox` with the given arguments; `out` and `err` stand for stdout and stderr.
[[nodiscard]] int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace fusebox::harness
