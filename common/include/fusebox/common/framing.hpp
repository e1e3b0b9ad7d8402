#pragma once
// Length-prefixed framing for binary TCP protocols: each frame is a 2-byte big-endian length
// followed by that many bytes. The reader takes bytes as they arrive (a frame may come in
// pieces, several may come at once) and hands back whole frames; a length past the bound is
// a protocol error, so a peer cannot make us buffer without limit.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fusebox {

// "\x00\x86..." for a 134-byte body. The body must fit in 65,535 bytes.
[[nodiscard]] std::string frame(std::string_view body);

class FrameReader {
 public:
  explicit FrameReader(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Appends received bytes (a socket read's worth; drain next() after each feed). False, and
  // the reader stays broken, when a frame announces a length above the bound.
  [[nodiscard]] bool feed(std::string_view bytes);
  // The next whole frame's body, if one has arrived.
  [[nodiscard]] std::optional<std::string> next();
  [[nodiscard]] bool broken() const { return broken_; }
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - read_; }

 private:
  [[nodiscard]] std::optional<std::size_t> announced_length() const;

  std::size_t max_frame_bytes_;
  std::string buffer_;
  std::size_t read_ = 0;
  bool broken_ = false;
};

}  // namespace fusebox
