#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "fusebox/harness/cli.hpp"

namespace {

// Sim-mode runs, sweeps and tunes hold every order of a run and grow their heap by hundreds
// of MB in seconds; on a virtual machine each first touch of a 4 KiB page is a costly fault
// (a fifth of a --fast run's CPU time, docs/PERFORMANCE.md). glibc backs its heap with
// transparent huge pages when the glibc.malloc.hugetlb tunable is set, and reads tunables only
// at start-up: so such a command sets it and executes itself once more. A GLIBC_TUNABLES that
// names the tunable already (=0 opts out) is left as it is. Live commands are left alone: a
// huge page's fault may compact memory, a pause the live gateway's tail must not have.
bool is_batch_command(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string_view command = argv[1];
  if (command == "sweep" || command == "tune") return true;
  if (command != "run") return false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--mode=sim" ||
        (arg == "--mode" && i + 1 < argc && std::string_view(argv[i + 1]) == "sim")) {
      return true;
    }
  }
  return false;
}

void reexec_with_huge_pages(char** argv) {
  constexpr std::string_view kTunable = "glibc.malloc.hugetlb";
  const char* current = std::getenv("GLIBC_TUNABLES");
  const std::string tunables = current == nullptr ? "" : current;
  if (tunables.find(kTunable) != std::string::npos) return;
  const std::string wanted =
      (tunables.empty() ? "" : tunables + ":") + std::string(kTunable) + "=1";
  if (setenv("GLIBC_TUNABLES", wanted.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Not fatal: the run goes on with small pages.
}

}  // namespace

int main(int argc, char** argv) {
  if (is_batch_command(argc, argv)) reexec_with_huge_pages(argv);
  return fusebox::harness::run_cli(argc, argv, std::cout, std::cerr);
}
