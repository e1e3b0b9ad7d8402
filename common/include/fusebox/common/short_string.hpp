#pragma once
// ShortString: an immutable string in 16 bytes, its text inline up to 15 characters and on
// the heap past that. For ids kept by the million (order, refund and transaction ids of 12-16
// characters in the checker's books), where a std::string takes 32 bytes for the same text.
// It reads as a std::string_view; assigning replaces the whole text.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace fusebox {

class ShortString {
 public:
  static constexpr std::size_t kInline = 15;

  ShortString() noexcept { bytes_[kInline] = 0; }
  ShortString(std::string_view text);  // NOLINT(google-explicit-constructor): rows fill from text
  ShortString(const std::string& text) : ShortString(std::string_view(text)) {}  // NOLINT
  ShortString(const char* text) : ShortString(std::string_view(text)) {}         // NOLINT
  ShortString(const ShortString& other) : ShortString(other.view()) {}
  ShortString(ShortString&& other) noexcept;
  ShortString& operator=(const ShortString& other);
  ShortString& operator=(ShortString&& other) noexcept;
  ~ShortString() { release(); }

  [[nodiscard]] std::string_view view() const {
    if (!on_heap()) return {reinterpret_cast<const char*>(bytes_), bytes_[kInline]};
    return {heap_pointer(), heap_size()};
  }
  [[nodiscard]] std::string str() const { return std::string(view()); }
  operator std::string_view() const { return view(); }  // NOLINT
  operator std::string() const { return str(); }        // NOLINT
  [[nodiscard]] bool empty() const { return view().empty(); }
  [[nodiscard]] std::size_t size() const { return view().size(); }

  friend bool operator==(const ShortString& a, const ShortString& b) {
    return a.view() == b.view();
  }
  friend std::strong_ordering operator<=>(const ShortString& a, const ShortString& b) {
    return a.view() <=> b.view();
  }
  friend bool operator==(const ShortString& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const ShortString& a, const std::string& b) { return a.view() == b; }
  friend bool operator==(const ShortString& a, const char* b) { return a.view() == b; }
  friend std::string operator+(const ShortString& a, std::string_view b) {
    return a.str().append(b);
  }
  friend std::string operator+(std::string a, const ShortString& b) { return a.append(b.view()); }
  friend std::ostream& operator<<(std::ostream& out, const ShortString& text);

 private:
  static constexpr unsigned char kHeap = 0xFF;  // in bytes_[kInline]: the text is on the heap
  [[nodiscard]] bool on_heap() const { return bytes_[kInline] == kHeap; }
  [[nodiscard]] const char* heap_pointer() const;
  [[nodiscard]] std::size_t heap_size() const;
  void assign(std::string_view text);
  void release() noexcept;

  // Inline: the text in bytes_[0, size), its size in bytes_[15]. On the heap: a pointer in
  // bytes_[0, 8), the size in bytes_[8, 12), kHeap in bytes_[15].
  alignas(8) unsigned char bytes_[16];
};

}  // namespace fusebox
