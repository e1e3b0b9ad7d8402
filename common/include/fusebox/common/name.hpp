#pragma once
// Name: a string with few distinct values (a channel, an event, a status, a currency, a
// failure code), kept once per process and held by pointer. Rows that a run keeps by the
// million (the checker's books) name the same few values over and over: a Name is 8 bytes
// where a std::string is 32, and two Names compare by pointer.
//
// Any text assigned to a Name is interned: looked up in a process-wide table (under a mutex)
// and added if new. Interned texts are never freed, so a Name is only for values drawn from
// a small set; ids and free text stay std::string. A Name reads as a const std::string&.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <string>
#include <string_view>

#include "fusebox/common/flat_index.hpp"

namespace fusebox {

// Texts numbered in the order first seen, each kept once: what a Name points into, and what a
// table of rows can use directly to keep 4-byte numbers for its repeated texts. Not
// thread-safe.
class NameTable {
 public:
  [[nodiscard]] std::uint32_t intern(std::string_view text) {
    const auto next = static_cast<std::uint32_t>(texts_.size());
    const auto [at, added] = index_.emplace(
        text, next, [this](std::uint32_t i) -> const std::string& { return texts_[i]; });
    if (added) texts_.emplace_back(text);
    return at;
  }
  [[nodiscard]] const std::string& at(std::uint32_t number) const { return texts_[number]; }

 private:
  std::deque<std::string> texts_;  // a deque: a text, once kept, never moves
  FlatIndex index_;
};

class Name {
 public:
  Name() = default;             // the empty name
  Name(std::string_view text);  // NOLINT(google-explicit-constructor): rows fill from text
  Name(const char* text) : Name(std::string_view(text)) {}         // NOLINT
  Name(const std::string& text) : Name(std::string_view(text)) {}  // NOLINT

  [[nodiscard]] const std::string& str() const { return *text_; }
  operator const std::string&() const { return *text_; }  // NOLINT
  operator std::string_view() const { return *text_; }    // NOLINT
  [[nodiscard]] bool empty() const { return text_->empty(); }
  [[nodiscard]] std::size_t size() const { return text_->size(); }

  friend bool operator==(const Name& a, const Name& b) { return a.text_ == b.text_; }
  // Ordered by text, so what is sorted by Name comes out the same in every run.
  friend std::strong_ordering operator<=>(const Name& a, const Name& b) {
    return *a.text_ <=> *b.text_;
  }
  friend bool operator==(const Name& a, std::string_view b) { return *a.text_ == b; }
  friend bool operator==(const Name& a, const std::string& b) { return *a.text_ == b; }
  friend bool operator==(const Name& a, const char* b) { return *a.text_ == b; }
  friend std::string operator+(const Name& a, std::string_view b) {
    return std::string(*a.text_).append(b);
  }
  friend std::string operator+(std::string a, const Name& b) { return a.append(*b.text_); }
  friend std::ostream& operator<<(std::ostream& out, const Name& name);

 private:
  static const std::string& empty_text();
  const std::string* text_ = &empty_text();
};

}  // namespace fusebox
