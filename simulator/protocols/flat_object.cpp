// Reading wallet-json request bodies (flat_object.hpp).

#include "flat_object.hpp"

#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace fusebox::sim::wallet_json {

namespace {

using nlohmann::json;

// A request body is read in one SAX pass, without building a JSON document: the channel's
// front door is its hot path.

class FlatReader {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool start_object(std::size_t /*size*/) {
    if (depth_ != 0) return nested();
    depth_ = 1;
    seen_object_ = true;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool key(string_t& key) {
    if (depth_ != 1) return nested();
    key_ = std::move(key);
    if (object_.contains(key_)) return fail("a field appears twice");
    return true;
  }
  bool string(string_t& value) { return put(FlatValue{false, std::move(value), 0}); }
  bool number_integer(number_integer_t value) {
    return put(FlatValue{true, std::to_string(value), value});
  }
  bool number_unsigned(number_unsigned_t value) {
    const auto number = value > static_cast<number_unsigned_t>(INT64_MAX)
                            ? std::int64_t{-1}
                            : static_cast<std::int64_t>(value);
    return put(FlatValue{true, std::to_string(value), number});
  }
  bool number_float(number_float_t /*value*/, const string_t& /*text*/) { return not_flat(); }
  bool boolean(bool /*value*/) { return not_flat(); }
  bool null() { return not_flat(); }
  bool binary(binary_t& /*value*/) { return not_flat(); }
  bool start_array(std::size_t /*size*/) { return depth_ == 0 ? fail(kNotObject) : not_flat(); }
  bool end_array() { return true; }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*error*/) {
    return fail(kNotObject);
  }

  // The object, or nullopt with `why` set.
  std::optional<FlatObject> take(bool parsed, std::string& why) {
    if (why_.empty() && (!parsed || !seen_object_)) why_ = kNotObject;
    if (!why_.empty()) {
      why = why_;
      return std::nullopt;
    }
    return std::move(object_);
  }

 private:
  static constexpr const char* kNotObject = "body is not a JSON object";

  bool put(FlatValue value) {
    if (depth_ != 1) return depth_ == 0 ? fail(kNotObject) : nested();
    object_.insert_or_assign(std::move(key_), std::move(value));  // key() refused a repeat
    return true;
  }
  bool not_flat() { return depth_ == 0 ? fail(kNotObject) : nested(); }
  bool nested() { return fail(key_ + ": expected a string or an integer"); }
  bool fail(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    return false;
  }

  int depth_ = 0;
  bool seen_object_ = false;
  std::string key_;
  FlatObject object_;
  std::string why_;
};

// The bodies clients send: a flat object of plain strings (printable ASCII, no escapes) and
// integers of at most 18 digits, each key once, read in one pass without nlohmann. Anything
// else (an escape, another byte, a float, nesting, a repeated key, an error) answers nullopt
// and goes to the general reader below, which decides: both read every body alike
// (wallet_json_test compares them on random and mutated bodies).
class PlainReader {
 public:
  explicit PlainReader(std::string_view body) : body_(body) {}

  std::optional<FlatObject> read() {
    FlatObject object;
    skip_space();
    if (!take('{')) return std::nullopt;
    skip_space();
    if (take('}')) return finish(std::move(object));
    while (true) {
      std::string key;
      FlatValue value;
      if (!plain_string(key)) return std::nullopt;
      skip_space();
      if (!take(':')) return std::nullopt;
      skip_space();
      const bool got = peek() == '"' ? plain_string(value.text) : plain_integer(value);
      if (!got || object.contains(key)) return std::nullopt;
      object.insert_or_assign(std::move(key), std::move(value));
      skip_space();
      if (take('}')) return finish(std::move(object));
      if (!take(',')) return std::nullopt;
      skip_space();
    }
  }

 private:
  static constexpr std::size_t kMaxDigits = 18;  // below INT64_MAX whatever they are

  [[nodiscard]] char peek() const { return at_ < body_.size() ? body_[at_] : '\0'; }
  bool take(char c) {
    if (at_ >= body_.size() || body_[at_] != c) return false;
    ++at_;
    return true;
  }
  void skip_space() {
    while (at_ < body_.size() &&
           (body_[at_] == ' ' || body_[at_] == '\t' || body_[at_] == '\n' || body_[at_] == '\r'))
      ++at_;
  }
  std::optional<FlatObject> finish(FlatObject object) {
    skip_space();
    if (at_ != body_.size()) return std::nullopt;
    return object;
  }
  bool plain_string(std::string& out) {
    if (!take('"')) return false;
    const std::size_t start = at_;
    for (; at_ < body_.size(); ++at_) {
      const auto byte = static_cast<unsigned char>(body_[at_]);
      if (byte == '"') {
        out.assign(body_.substr(start, at_ - start));
        ++at_;
        return true;
      }
      if (byte < 0x20 || byte > 0x7e || byte == '\\') return false;
    }
    return false;
  }
  bool plain_integer(FlatValue& out) {
    const std::size_t start = at_;
    take('-');
    const std::size_t digits = at_;
    while (at_ < body_.size() && body_[at_] >= '0' && body_[at_] <= '9')
      ++at_;
    const std::size_t count = at_ - digits;
    if (count == 0 || count > kMaxDigits || (count > 1 && body_[digits] == '0')) return false;
    const char next = peek();
    if (next == '.' || next == 'e' || next == 'E') return false;
    std::int64_t number = 0;
    std::from_chars(body_.data() + start, body_.data() + at_, number);
    out = FlatValue{true, std::to_string(number), number};
    return true;
  }

  std::string_view body_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<FlatObject> parse_general_object(std::string_view body, std::string& why) {
  FlatReader reader;
  const bool parsed = json::sax_parse(body, &reader, json::input_format_t::json, true, false);
  return reader.take(parsed, why);
}

std::optional<FlatObject> parse_plain_object(std::string_view body) {
  return PlainReader(body).read();
}

std::optional<FlatObject> parse_flat_object(std::string_view body, std::string& why) {
  if (std::optional<FlatObject> plain = parse_plain_object(body)) return plain;
  return parse_general_object(body, why);
}

}  // namespace fusebox::sim::wallet_json
