// The error type every stage throws for bad input or a failed operation. The message is meant for a user:
// say what failed and on which file or id, never only an errno.
#pragma once

#include <stdexcept>
#include <string>

namespace audiorium {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace audiorium
