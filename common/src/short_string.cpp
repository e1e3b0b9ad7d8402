#include "fusebox/common/short_string.hpp"

#include <cstring>
#include <ostream>
#include <stdexcept>

namespace fusebox {

ShortString::ShortString(std::string_view text) {
  bytes_[kInline] = 0;
  assign(text);
}

ShortString::ShortString(ShortString&& other) noexcept {
  std::memcpy(bytes_, other.bytes_, sizeof bytes_);  // the pointer, if any, moves with it
  other.bytes_[kInline] = 0;
}

ShortString& ShortString::operator=(const ShortString& other) {
  if (this != &other) assign(other.view());
  return *this;
}

ShortString& ShortString::operator=(ShortString&& other) noexcept {
  if (this != &other) {
    release();
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    other.bytes_[kInline] = 0;
  }
  return *this;
}

const char* ShortString::heap_pointer() const {
  const char* pointer = nullptr;
  std::memcpy(&pointer, bytes_, sizeof pointer);
  return pointer;
}

std::size_t ShortString::heap_size() const {
  std::uint32_t size = 0;
  std::memcpy(&size, bytes_ + 8, sizeof size);
  return size;
}

// Copies the text out before anything is released, so a text that views this string's own
// storage is safe to assign, and a throw (the allocation) changes nothing.
void ShortString::assign(std::string_view text) {
  if (text.size() > UINT32_MAX) throw std::length_error("ShortString: text over 4 GiB");
  if (text.size() <= kInline) {
    unsigned char copy[kInline];
    if (!text.empty()) std::memcpy(copy, text.data(), text.size());
    release();
    if (!text.empty()) std::memcpy(bytes_, copy, text.size());
    bytes_[kInline] = static_cast<unsigned char>(text.size());
    return;
  }
  char* pointer = new char[text.size()];
  std::memcpy(pointer, text.data(), text.size());
  release();
  const auto size = static_cast<std::uint32_t>(text.size());
  std::memcpy(bytes_, &pointer, sizeof pointer);
  std::memcpy(bytes_ + 8, &size, sizeof size);
  bytes_[kInline] = kHeap;
}

void ShortString::release() noexcept {
  if (on_heap()) delete[] heap_pointer();
  bytes_[kInline] = 0;
}

std::ostream& operator<<(std::ostream& out, const ShortString& text) { return out << text.view(); }

}  // namespace fusebox
