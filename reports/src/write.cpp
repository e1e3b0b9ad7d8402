// Writing one result's reports to disk: the only part of the library that touches files.
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "fusebox/reports/reports.hpp"

namespace fusebox::reports {
namespace {

void write_file(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

void write_reports(const nlohmann::json& result, const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw std::runtime_error("cannot create " + dir.string() + ": " + error.message());
  write_file(dir / "report.html", render_html(result));
  write_file(dir / "junit.xml", render_junit({result}));
}

}  // namespace fusebox::reports
