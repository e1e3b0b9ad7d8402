// A single pass over an answer's JSON that keeps only the fields the load classifies by,
// instead of building nlohmann's DOM for every answer (the generator's biggest per-request
// cost). It accepts exactly what nlohmann::json::parse accepts (RFC 8259 with UTF-8 checked,
// a leading BOM skipped, non-finite numbers refused, the last of duplicate keys wins), so a
// body counts as JSON on the same terms as before; load_scan_test compares the two.

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "load_internal.hpp"

namespace fusebox::harness {

namespace {

constexpr int kMaxDepth = 64;             // deeper documents go to nlohmann (never seen in answers)
constexpr std::size_t kKeyCapacity = 24;  // longer keys cannot be a field we keep

// Where a value goes: a top-level field, the top-level "error" object, or nowhere.
enum class Slot : std::uint8_t {
  none,
  root,
  status,
  failure_code,
  channel,
  payment_id,
  merchant_order_id,
  amount,
  error,
  error_code
};

// The decoded text of a string: appended to a field, or kept (bounded) to match a key.
struct Text {
  std::string* field = nullptr;
  std::array<char, kKeyCapacity> key{};
  std::size_t key_size = 0;
  bool key_long = false;
  void append(std::string_view bytes) {
    if (field != nullptr) field->append(bytes);
    if (key_long || key_size + bytes.size() > kKeyCapacity) {
      key_long = true;
      return;
    }
    std::memcpy(key.data() + key_size, bytes.data(), bytes.size());
    key_size += bytes.size();
  }
  [[nodiscard]] std::string_view key_view() const {
    return key_long ? std::string_view() : std::string_view(key.data(), key_size);
  }
};

class Scanner {
 public:
  Scanner(std::string_view text, AnswerFields& out) : text_(text), out_(out) {}

  [[nodiscard]] ScanResult run() {
    if (!skip_bom() || !value(Slot::root, 0)) return too_deep_ ? ScanResult::too_deep : fail();
    skip_space();
    // nlohmann's lexer reads a NUL byte between tokens as the end of the input.
    return !more() || text_[pos_] == '\0' ? ScanResult::json : fail();
  }

 private:
  ScanResult fail() {
    out_ = AnswerFields{};
    return ScanResult::not_json;
  }
  [[nodiscard]] bool more() const { return pos_ < text_.size(); }
  [[nodiscard]] unsigned char at(std::size_t i) const {
    return static_cast<unsigned char>(text_[i]);
  }
  bool skip_bom() {
    if (!more() || at(0) != 0xEF) return true;
    if (text_.size() < 3 || at(1) != 0xBB || at(2) != 0xBF) return false;
    pos_ = 3;
    return true;
  }
  void skip_space() {
    while (more() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                      text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  std::string* field_of(Slot slot) const;
  bool value(Slot slot, int depth);
  bool object(Slot slot, int depth);
  bool array(int depth);
  bool string(Text& text);
  bool escape(Text& text);
  [[nodiscard]] bool hex4(std::uint32_t& unit);
  [[nodiscard]] std::size_t utf8_length(std::size_t i) const;
  bool number(Slot slot);

  std::string_view text_;
  std::size_t pos_ = 0;
  AnswerFields& out_;
  bool too_deep_ = false;
};

std::string* Scanner::field_of(Slot slot) const {
  switch (slot) {
    case Slot::status:
      return &out_.status;
    case Slot::failure_code:
      return &out_.failure_code;
    case Slot::channel:
      return &out_.channel;
    case Slot::payment_id:
      return &out_.payment_id;
    case Slot::merchant_order_id:
      return &out_.merchant_order_id;
    case Slot::error_code:
      return &out_.error_code;
    default:
      return nullptr;
  }
}

Slot top_slot(std::string_view key) {
  if (key == "status") return Slot::status;
  if (key == "failure_code") return Slot::failure_code;
  if (key == "channel") return Slot::channel;
  if (key == "payment_id") return Slot::payment_id;
  if (key == "merchant_order_id") return Slot::merchant_order_id;
  if (key == "amount") return Slot::amount;
  if (key == "error") return Slot::error;
  return Slot::none;
}

// A later duplicate key replaces an earlier one (nlohmann keeps the last), so a kept field
// is cleared before its value is read and set only if that value has the expected type.
bool Scanner::value(Slot slot, int depth) {
  skip_space();
  if (!more()) return false;
  std::string* field = field_of(slot);
  if (field != nullptr) field->clear();
  if (slot == Slot::amount) out_.amount = 0;
  if (slot == Slot::error) out_.error_code.clear();
  switch (text_[pos_]) {
    case '{':
      if (slot == Slot::root) out_.object = true;
      return object(slot, depth + 1);
    case '[':
      return array(depth + 1);
    case '"': {
      Text text;
      text.field = field;
      return string(text);
    }
    case 't':
      return literal("true");
    case 'f':
      return literal("false");
    case 'n':
      return literal("null");
    default:
      return number(slot);
  }
}

bool Scanner::object(Slot slot, int depth) {
  if (depth > kMaxDepth) {
    too_deep_ = true;
    return false;
  }
  ++pos_;  // '{'
  skip_space();
  if (more() && text_[pos_] == '}') {
    ++pos_;
    return true;
  }
  while (true) {
    skip_space();
    if (!more() || text_[pos_] != '"') return false;
    Text key;
    if (!string(key)) return false;
    skip_space();
    if (!more() || text_[pos_] != ':') return false;
    ++pos_;
    Slot inner = Slot::none;
    if (slot == Slot::root) inner = top_slot(key.key_view());
    if (slot == Slot::error && key.key_view() == "code") inner = Slot::error_code;
    if (!value(inner, depth)) return false;
    skip_space();
    if (!more()) return false;
    const char next = text_[pos_++];
    if (next == '}') return true;
    if (next != ',') return false;
  }
}

bool Scanner::array(int depth) {
  if (depth > kMaxDepth) {
    too_deep_ = true;
    return false;
  }
  ++pos_;  // '['
  skip_space();
  if (more() && text_[pos_] == ']') {
    ++pos_;
    return true;
  }
  while (true) {
    if (!value(Slot::none, depth)) return false;
    skip_space();
    if (!more()) return false;
    const char next = text_[pos_++];
    if (next == ']') return true;
    if (next != ',') return false;
  }
}

// The bytes of one UTF-8 character starting at `i` (RFC 3629, as nlohmann checks them), or
// 0 when they are not a well-formed one.
std::size_t Scanner::utf8_length(std::size_t i) const {
  const unsigned char lead = at(i);
  const auto in = [&](std::size_t k, unsigned char low, unsigned char high) {
    return i + k < text_.size() && at(i + k) >= low && at(i + k) <= high;
  };
  if (lead >= 0xC2 && lead <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (lead == 0xE0) return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (lead == 0xED) return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
  if (lead == 0xF0) return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3) {
    return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  if (lead == 0xF4) return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  return 0;
}

// Plain runs are appended in one piece; escapes and multi-byte characters are checked.
bool Scanner::string(Text& text) {
  ++pos_;  // the opening quote
  std::size_t run = pos_;
  while (more()) {
    const unsigned char c = at(pos_);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++pos_;
      continue;
    }
    text.append(text_.substr(run, pos_ - run));
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (c == '\\') {
      if (!escape(text)) return false;
    } else {
      const std::size_t length = c < 0x20 ? 0 : utf8_length(pos_);
      if (length == 0) return false;
      text.append(text_.substr(pos_, length));
      pos_ += length;
    }
    run = pos_;
  }
  return false;  // no closing quote
}

bool Scanner::hex4(std::uint32_t& unit) {
  if (text_.size() - pos_ < 4) return false;
  unit = 0;
  for (int k = 0; k < 4; ++k) {
    const char c = text_[pos_++];
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    unit = unit * 16 + digit;
  }
  return true;
}

// At a backslash: one escape, a \u pair for a character beyond the BMP, written as UTF-8.
bool Scanner::escape(Text& text) {
  ++pos_;
  if (!more()) return false;
  const char c = text_[pos_++];
  // The one-character escapes, each at the same position as what it stands for.
  constexpr std::string_view escaped = "\"\\/bfnrt";
  constexpr std::string_view meant = "\"\\/\b\f\n\r\t";
  if (const std::size_t at = escaped.find(c); at != std::string_view::npos) {
    text.append(meant.substr(at, 1));
    return true;
  }
  if (c != 'u') return false;
  std::uint32_t code = 0;
  if (!hex4(code)) return false;
  if (code >= 0xDC00 && code <= 0xDFFF) return false;  // a low surrogate alone
  if (code >= 0xD800 && code <= 0xDBFF) {
    std::uint32_t low = 0;
    if (!literal("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
  }
  std::array<char, 4> bytes{};
  std::size_t size = 0;
  const auto byte = [](std::uint32_t v) {
    return static_cast<char>(static_cast<unsigned char>(v));
  };
  if (code < 0x80) {
    bytes[size++] = byte(code);
  } else if (code < 0x800) {
    bytes[size++] = byte(0xC0 | (code >> 6));
    bytes[size++] = byte(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    bytes[size++] = byte(0xE0 | (code >> 12));
    bytes[size++] = byte(0x80 | ((code >> 6) & 0x3F));
    bytes[size++] = byte(0x80 | (code & 0x3F));
  } else {
    bytes[size++] = byte(0xF0 | (code >> 18));
    bytes[size++] = byte(0x80 | ((code >> 12) & 0x3F));
    bytes[size++] = byte(0x80 | ((code >> 6) & 0x3F));
    bytes[size++] = byte(0x80 | (code & 0x3F));
  }
  text.append(std::string_view(bytes.data(), size));
  return true;
}

// JSON's number grammar. Like nlohmann: an integer that fits int64 (negative) or uint64 is
// an integer, anything else is a double, and a double that overflows is an error.
bool Scanner::number(Slot slot) {
  const std::size_t begin = pos_;
  const auto digits = [&] {
    const std::size_t from = pos_;
    while (more() && text_[pos_] >= '0' && text_[pos_] <= '9')
      ++pos_;
    return pos_ > from;
  };
  if (more() && text_[pos_] == '-') ++pos_;
  if (more() && text_[pos_] == '0') {
    ++pos_;
  } else if (!digits()) {
    return false;
  }
  bool integer = true;
  if (more() && text_[pos_] == '.') {
    ++pos_;
    integer = false;
    if (!digits()) return false;
  }
  if (more() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    integer = false;
    if (more() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (!digits()) return false;
  }
  const std::string token(text_.substr(begin, pos_ - begin));
  if (integer) {
    errno = 0;
    char* end = nullptr;
    std::int64_t parsed = 0;
    if (token[0] == '-') {
      parsed = std::strtoll(token.c_str(), &end, 10);
    } else {
      parsed = static_cast<std::int64_t>(std::strtoull(token.c_str(), &end, 10));
    }
    if (errno == 0) {
      if (slot == Slot::amount) out_.amount = parsed;
      return true;
    }
  }
  return std::isfinite(std::strtod(token.c_str(), nullptr));
}

}  // namespace

ScanResult scan_answer(std::string_view body, AnswerFields& out) {
  out = AnswerFields{};
  return Scanner(body, out).run();
}

}  // namespace fusebox::harness
