#include "fusebox/net/url.hpp"

namespace fusebox::net {

std::vector<std::string> path_parts(std::string_view target) {
  std::vector<std::string> parts;
  std::string_view path = target.substr(0, target.find('?'));
  while (!path.empty()) {
    path.remove_prefix(path.front() == '/' ? 1 : 0);
    const std::size_t slash = path.find('/');
    if (!path.empty()) parts.emplace_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return parts;
}

std::string query_value(std::string_view target, std::string_view key) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.substr(0, pair.find('=')) == key && pair.find('=') != std::string_view::npos) {
      return std::string(pair.substr(pair.find('=') + 1));
    }
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
  }
  return "";
}

}  // namespace fusebox::net
