#include "fusebox/common/name.hpp"

#include <mutex>
#include <ostream>

namespace fusebox {
namespace {

// Every text ever named, behind a mutex: Names are made on any thread.
class Names {
 public:
  const std::string* intern(std::string_view text) {
    std::lock_guard lock(mutex_);
    return &table_.at(table_.intern(text));
  }

 private:
  std::mutex mutex_;
  NameTable table_;
};

Names& names() {
  static Names* all = new Names();  // never destroyed: a Name may outlive other statics
  return *all;
}

}  // namespace

const std::string& Name::empty_text() {
  static const std::string* empty = names().intern("");
  return *empty;
}

Name::Name(std::string_view text) : text_(names().intern(text)) {}

std::ostream& operator<<(std::ostream& out, const Name& name) { return out << name.str(); }

}  // namespace fusebox
