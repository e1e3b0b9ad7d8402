#pragma once
// Config loading for every fusebox file: JSON with comments, and errors that say where.
//   syntax:    "scenarios/x.json:12:7: syntax error while parsing object - unexpected '}'"
//   semantics: "scenarios/x.json: /faults/2/for_s: expected a positive number, got -5"
// Readers walk a ConfigNode; every accessor checks type and range and, on failure, throws a
// ConfigError with the file, the JSON path, what was expected and the value found.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace fusebox {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConfigNode;

// A parsed file. Duplicate keys are errors (plain nlohmann would keep the last one silently).
class ConfigDocument {
 public:
  // Throws ConfigError: "<path>: cannot read: <reason>" or "<path>:<line>:<col>: <syntax error>".
  [[nodiscard]] static ConfigDocument load_file(const std::filesystem::path& path);
  // `source_name` stands for the file in messages.
  [[nodiscard]] static ConfigDocument parse(std::string source_name, std::string_view text);

  [[nodiscard]] ConfigNode root() const;
  [[nodiscard]] const std::string& source_name() const { return data_->source_name; }
  [[nodiscard]] const nlohmann::json& json() const { return data_->json; }

 private:
  struct Data {
    std::string source_name;
    nlohmann::json json;
  };
  explicit ConfigDocument(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;  // nodes keep the document alive
};

class ConfigNode {
 public:
  // The JSON Pointer of this node ("" for the root; shown as "/" in messages).
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& source_name() const { return *source_name_; }
  [[nodiscard]] const nlohmann::json& json() const { return *json_; }

  [[nodiscard]] bool is_object() const { return json_->is_object(); }
  [[nodiscard]] bool is_array() const { return json_->is_array(); }
  [[nodiscard]] bool is_number() const { return json_->is_number(); }
  [[nodiscard]] bool is_string() const { return json_->is_string(); }

  // Objects. `at` requires the field; `find` returns nullopt when it is absent.
  [[nodiscard]] ConfigNode at(std::string_view key) const;
  [[nodiscard]] std::optional<ConfigNode> find(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] std::vector<std::pair<std::string, ConfigNode>> members() const;
  // Requires an object whose fields are all in `allowed`: a misspelt field is an error,
  // never silently ignored.
  void expect_fields(std::initializer_list<std::string_view> allowed) const;

  // Arrays.
  [[nodiscard]] std::vector<ConfigNode> elements() const;
  [[nodiscard]] ConfigNode at(std::size_t index) const;
  // Requires an array of min_size..max_size elements.
  void expect_array(std::size_t min_size, std::size_t max_size = SIZE_MAX) const;

  // Scalars, each checking type and range.
  [[nodiscard]] std::string as_string() const;
  [[nodiscard]] std::string as_non_empty_string() const;
  [[nodiscard]] std::string as_enum(std::initializer_list<std::string_view> allowed) const;
  [[nodiscard]] bool as_bool() const;
  [[nodiscard]] std::int64_t as_int(
      std::int64_t min = std::numeric_limits<std::int64_t>::min(),
      std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;
  [[nodiscard]] std::uint64_t as_uint64() const;
  [[nodiscard]] double as_number() const;
  [[nodiscard]] double as_number_in(double min, double max) const;
  [[nodiscard]] double as_positive_number() const;
  [[nodiscard]] double as_non_negative_number() const;
  [[nodiscard]] double as_probability() const { return as_number_in(0.0, 1.0); }

  // "<file>: <path>: expected <expected>, got <value>"
  [[noreturn]] void fail_expected(std::string_view expected) const;
  // "<file>: <path>: <message>"
  [[noreturn]] void fail(std::string_view message) const;

 private:
  friend class ConfigDocument;
  ConfigNode(std::shared_ptr<const void> owner, const std::string* source_name,
             const nlohmann::json* json, std::string path)
      : owner_(std::move(owner)), source_name_(source_name), json_(json), path_(std::move(path)) {}
  [[nodiscard]] ConfigNode child(const nlohmann::json& json, std::string_view token) const;
  void require_object() const;

  std::shared_ptr<const void> owner_;
  const std::string* source_name_;
  const nlohmann::json* json_;
  std::string path_;
};

// JSON Pointer escaping of one reference token ("~" -> "~0", "/" -> "~1").
[[nodiscard]] std::string json_pointer_token(std::string_view key);

}  // namespace fusebox
