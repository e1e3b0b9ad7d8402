#include "fusebox/common/framing.hpp"

#include <cassert>

namespace fusebox {

std::string frame(std::string_view body) {
  assert(body.size() <= 0xffff);
  std::string out;
  out.reserve(body.size() + 2);
  out.push_back(static_cast<char>((body.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(body.size() & 0xff));
  out.append(body);
  return out;
}

std::optional<std::size_t> FrameReader::announced_length() const {
  if (buffer_.size() - read_ < 2) return std::nullopt;
  const auto high = static_cast<unsigned char>(buffer_[read_]);
  const auto low = static_cast<unsigned char>(buffer_[read_ + 1]);
  return (std::size_t{high} << 8) | low;
}

bool FrameReader::feed(std::string_view bytes) {
  if (broken_) return false;
  // Compact what has been consumed before growing, so the buffer stays near one frame.
  if (read_ > 0 && read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
  } else if (read_ > max_frame_bytes_) {
    buffer_.erase(0, read_);
    read_ = 0;
  }
  buffer_.append(bytes);
  const auto length = announced_length();
  if (length && *length > max_frame_bytes_) broken_ = true;
  return !broken_;
}

std::optional<std::string> FrameReader::next() {
  if (broken_) return std::nullopt;
  const auto length = announced_length();
  if (!length) return std::nullopt;
  if (*length > max_frame_bytes_) {
    broken_ = true;
    return std::nullopt;
  }
  if (buffer_.size() - read_ < 2 + *length) return std::nullopt;
  std::string body = buffer_.substr(read_ + 2, *length);
  read_ += 2 + *length;
  return body;
}

}  // namespace fusebox
