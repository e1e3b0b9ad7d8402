#pragma once
// wallet-json's messages as flat objects: the fields in key order, and the two readers of a
// request body (a fast one for the plain bodies clients send, nlohmann's SAX parser for the
// rest). Not a public header: wallet_json.cpp's insides.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fusebox::sim::wallet_json {

// A wallet-json message, read or written: a flat object whose values are strings or integers,
// keys in byte order (the order the canonical string wants and JSON text is written in).
struct FlatValue {
  bool integer = false;
  std::string text;         // a string's value, or an integer's decimal digits
  std::int64_t number = 0;  // an integer's value; -1 past INT64_MAX (never a valid amount)
};
// The fields in key order, in one vector: a message has about ten, so a sorted vector finds
// and inserts faster than a tree, with one allocation for all of them instead of one each
// (the channel's front door is its hot path).
class FlatObject {
 public:
  using Field = std::pair<std::string, FlatValue>;
  FlatObject() { fields_.reserve(kTypicalFields); }

  void insert_or_assign(std::string key, FlatValue value) {
    const auto at = lower_bound(key);
    if (at != fields_.end() && at->first == key) {
      at->second = std::move(value);
    } else {
      fields_.emplace(at, std::move(key), std::move(value));
    }
  }
  [[nodiscard]] const FlatValue* find(std::string_view key) const {
    const auto at = std::lower_bound(fields_.begin(), fields_.end(), key, key_before);
    return at != fields_.end() && at->first == key ? &at->second : nullptr;
  }
  [[nodiscard]] bool contains(std::string_view key) const { return find(key) != nullptr; }
  [[nodiscard]] std::size_t size() const { return fields_.size(); }
  [[nodiscard]] auto begin() const { return fields_.begin(); }
  [[nodiscard]] auto end() const { return fields_.end(); }

 private:
  static constexpr std::size_t kTypicalFields = 12;
  static bool key_before(const Field& field, std::string_view key) { return field.first < key; }
  std::vector<Field>::iterator lower_bound(std::string_view key) {
    return std::lower_bound(fields_.begin(), fields_.end(), key, key_before);
  }

  std::vector<Field> fields_;
};

// The body as a flat object, or nullopt with `why` set: the plain reader first, the general
// one for whatever it passes on.
[[nodiscard]] std::optional<FlatObject> parse_flat_object(std::string_view body, std::string& why);
// The fast reader alone: nullopt for any body that is not plain (never an error of its own).
[[nodiscard]] std::optional<FlatObject> parse_plain_object(std::string_view body);
// nlohmann's SAX parser alone: what decides every body that is not plain.
[[nodiscard]] std::optional<FlatObject> parse_general_object(std::string_view body,
                                                             std::string& why);

}  // namespace fusebox::sim::wallet_json
