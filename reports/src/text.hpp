#pragma once
// Reading a result document defensively and turning its values into escaped text. Renderers
// go through these so a half-written or older result still renders (check_result is where
// a document is judged, not here), and so no string reaches a page or an XML file unescaped.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fusebox::reports::detail {

// object[key], or a null value when `object` is not an object or has no such key.
[[nodiscard]] const nlohmann::json& field(const nlohmann::json& object, std::string_view key);

// object[key] when it is an array, else an empty array.
[[nodiscard]] const nlohmann::json& array_field(const nlohmann::json& object, std::string_view key);

[[nodiscard]] std::string string_field(const nlohmann::json& object, std::string_view key);
[[nodiscard]] bool bool_field(const nlohmann::json& object, std::string_view key);
// A number field, or `fallback` when it is missing, null or not a number.
[[nodiscard]] double number_field(const nlohmann::json& object, std::string_view key,
                                  double fallback = 0.0);
[[nodiscard]] bool has_number(const nlohmann::json& object, std::string_view key);

// A value as a person reads it: strings as they are, integers exactly, other numbers with at
// most `max_decimals` decimals (trailing zeros dropped), booleans as true/false, null as "",
// arrays and objects as compact JSON.
[[nodiscard]] std::string display(const nlohmann::json& value, int max_decimals = 3);
[[nodiscard]] std::string format_decimal(double value, int max_decimals);
// Fixed decimals, for attributes that tools parse (JUnit's time="12.500").
[[nodiscard]] std::string format_fixed(double value, int decimals);

// Escapes & < > " ' for HTML text and attribute values alike.
[[nodiscard]] std::string html_escape(std::string_view text);
// Escapes for XML 1.0 text and attributes, and replaces characters XML 1.0 cannot carry at
// all (control characters other than tab, newline, carriage return) with U+FFFD.
[[nodiscard]] std::string xml_escape(std::string_view text);

// Compact JSON safe to place inside an HTML <script> element: '<', '>' and '&' become
// \u escapes (JSON text only holds them inside strings), invalid UTF-8 is replaced.
[[nodiscard]] std::string script_safe_json(const nlohmann::json& value);

// One path segment percent-encoded, for a relative link built from a scenario name.
[[nodiscard]] std::string url_path_segment(std::string_view segment);

// The seed as text, exactly (seeds are 64-bit and must not pass through a double).
[[nodiscard]] std::string seed_text(const nlohmann::json& result);

}  // namespace fusebox::reports::detail
