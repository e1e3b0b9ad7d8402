#include "text.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace fusebox::reports::detail {

const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  const auto found = object.find(key);
  return found == object.end() ? kNull : *found;
}

const nlohmann::json& array_field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const nlohmann::json& value = field(object, key);
  return value.is_array() ? value : kEmpty;
}

std::string string_field(const nlohmann::json& object, std::string_view key) {
  return display(field(object, key));
}

bool bool_field(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = field(object, key);
  return value.is_boolean() && value.get<bool>();
}

double number_field(const nlohmann::json& object, std::string_view key, double fallback) {
  const nlohmann::json& value = field(object, key);
  return value.is_number() ? value.get<double>() : fallback;
}

bool has_number(const nlohmann::json& object, std::string_view key) {
  return field(object, key).is_number();
}

std::string format_fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "0";
  std::array<char, 64> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                          std::chars_format::fixed, decimals);
  if (error != std::errc()) return "0";
  return {buffer.data(), end};
}

std::string format_decimal(double value, int max_decimals) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string text = format_fixed(value, max_decimals);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0')
      text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text == "-0" ? "0" : text;
}

std::string display(const nlohmann::json& value, int max_decimals) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "";
    case nlohmann::json::value_t::string:
      return value.get<std::string>();
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_integer:
      return std::to_string(value.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return std::to_string(value.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
      return format_decimal(value.get<double>(), max_decimals);
    default:
      return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

namespace {

// HTML and XML escape alike but for the apostrophe (&apos; is not HTML 4) and control
// characters, which XML forbids (and whose newlines attribute normalisation would eat).
std::string escape_markup(std::string_view text, bool xml) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += xml ? "&apos;" : "&#39;";
        break;
      case '\n':
      case '\r':
      case '\t':
        if (xml) {
          out += "&#" + std::to_string(byte) + ";";
        } else {
          out += c;
        }
        break;
      default:
        if (xml && (byte < 0x20 || byte == 0x7f)) {
          out += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 cannot carry it at all
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

std::string html_escape(std::string_view text) { return escape_markup(text, false); }

std::string xml_escape(std::string_view text) { return escape_markup(text, true); }

std::string script_safe_json(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string url_path_segment(std::string_view segment) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4U];
      out += kHex[byte & 0x0FU];
    }
  }
  return out == "." || out == ".." ? "%2E" + out.substr(1) : out;
}

std::string seed_text(const nlohmann::json& result) { return display(field(result, "seed")); }

}  // namespace fusebox::reports::detail
