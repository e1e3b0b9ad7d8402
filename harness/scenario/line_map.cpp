// Where each value of a JSON text sits. nlohmann's parser does not report positions of
// values, only of syntax errors, so this small scanner walks the (already valid) text once
// more and records the line of every value under its JSON Pointer.

#include <cstddef>

#include "scenario_internal.hpp"

namespace fusebox::harness::detail {

namespace {

struct ScanError {};

class LineScanner {
 public:
  explicit LineScanner(std::string_view text) : text_(text) {}

  LineMap run() {
    skip();
    value("", 0);
    return std::move(lines_);
  }

 private:
  static constexpr int kMaxDepth = 512;

  [[nodiscard]] char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void expect(char c) {
    if (peek() != c) throw ScanError{};
    ++pos_;
  }

  // Whitespace and comments (// to the end of the line, /* ... */), counting lines.
  void skip() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        const std::size_t end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) throw ScanError{};
        for (std::size_t i = pos_; i < end; ++i)
          line_ += text_[i] == '\n' ? 1 : 0;
        pos_ = end + 2;
      } else {
        return;
      }
    }
  }

  // A string token, decoded (escapes included) by nlohmann itself.
  std::string string_token() {
    const std::size_t start = pos_;
    expect('"');
    while (pos_ < text_.size() && text_[pos_] != '"')
      pos_ += text_[pos_] == '\\' ? std::size_t{2} : std::size_t{1};
    expect('"');
    try {
      return nlohmann::json::parse(text_.substr(start, pos_ - start)).get<std::string>();
    } catch (const nlohmann::json::exception&) {
      throw ScanError{};
    }
  }

  void value(const std::string& pointer, int depth) {
    if (depth > kMaxDepth) throw ScanError{};
    lines_[pointer] = line_;
    const char c = peek();
    if (c == '{') {
      object(pointer, depth);
    } else if (c == '[') {
      array(pointer, depth);
    } else if (c == '"') {
      (void)string_token();
    } else {
      const std::size_t start = pos_;
      while (pos_ < text_.size() &&
             std::string_view(",}] \t\r\n/").find(text_[pos_]) == std::string_view::npos) {
        ++pos_;
      }
      if (pos_ == start) throw ScanError{};
    }
  }

  void object(const std::string& pointer, int depth) {
    expect('{');
    skip();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    while (true) {
      skip();
      const std::string key = string_token();
      skip();
      expect(':');
      skip();
      value(pointer + "/" + json_pointer_token(key), depth + 1);
      skip();
      if (peek() != ',') break;
      ++pos_;
    }
    expect('}');
  }

  void array(const std::string& pointer, int depth) {
    expect('[');
    skip();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    for (std::size_t index = 0;; ++index) {
      skip();
      value(pointer + "/" + std::to_string(index), depth + 1);
      skip();
      if (peek() != ',') break;
      ++pos_;
    }
    expect(']');
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  LineMap lines_;
};

}  // namespace

LineMap json_pointer_lines(std::string_view text) {
  try {
    return LineScanner(text).run();
  } catch (const ScanError&) {
    return {};
  }
}

std::string with_line(const std::string& message, const std::string& source, const LineMap& lines) {
  const std::string prefix = source + ": ";
  if (message.rfind(prefix, 0) != 0) return message;
  const std::string rest = message.substr(prefix.size());
  if (rest.empty() || rest[0] != '/') return message;
  // The path ends at a ": ", but a key may hold ": " itself: take the longest known path.
  std::optional<int> line;
  for (std::size_t pos = rest.find(": "); pos != std::string::npos;
       pos = rest.find(": ", pos + 1)) {
    std::string path = rest.substr(0, pos);
    if (path == "/") path.clear();
    if (const auto it = lines.find(path); it != lines.end()) line = it->second;
  }
  if (!line) return message;
  return source + ":" + std::to_string(*line) + ": " + rest;
}

}  // namespace fusebox::harness::detail
