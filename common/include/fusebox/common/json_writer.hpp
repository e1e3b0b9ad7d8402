#pragma once
// Writing flat JSON objects without a document (the merchant API's answers, the simulator's
// wallet-json messages).

#include <cstdint>
#include <string>
#include <string_view>

namespace fusebox {

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
    out_ += std::to_string(value);
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
  void quoted(std::string_view value) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    for (const char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (byte < 0x20) {
            out_ += "\\u00";
            out_ += kHex[byte >> 4];
            out_ += kHex[byte & 0xf];
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace fusebox
