#pragma once
// Writing flat JSON objects without a document (the merchant API's answers, the simulator's
// wallet-json messages).

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace fusebox {

// `value` as a quoted JSON string, escaped as nlohmann escapes it (the short escapes, other
// control characters as \u00XX, everything else as is). It must be valid UTF-8 already.
inline void append_json_quoted(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  // Runs that need no escape (nearly every value) are appended whole.
  std::size_t run = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(value.substr(run, i - run));
    run = i + 1;
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xf];
    }
  }
  out.append(value.substr(run));
  out += '"';
}

// A flat JSON object written straight into a string, keys in the order given. Given in sorted
// order, the bytes are those nlohmann's std::map objects dump. Strings are escaped as
// nlohmann escapes them and must be valid UTF-8 already (parsed input, or made by the
// caller). For hot paths that answer every request: no document is built.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  JsonObjectWriter& text(std::string_view key, std::string_view value) {
    name(key);
    quoted(value);
    return *this;
  }
  JsonObjectWriter& number(std::string_view key, std::int64_t value) {
    name(key);
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    (void)ec;  // 24 characters hold any int64
    out_.append(digits, end);
    return *this;
  }
  JsonObjectWriter& text_if(std::string_view key, std::string_view value) {
    return value.empty() ? *this : text(key, value);
  }
  void close() { out_ += '}'; }

 private:
  void name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    quoted(key);
    out_ += ':';
  }
  void quoted(std::string_view value) { append_json_quoted(out_, value); }

  std::string& out_;
  bool first_ = true;
};

}  // namespace fusebox
