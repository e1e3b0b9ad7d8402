#include <iostream>

#include "fusebox/harness/cli.hpp"

int main(int argc, char** argv) {
  return fusebox::harness::run_cli(argc, argv, std::cout, std::cerr);
}
