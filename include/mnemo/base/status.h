// status.h: errors as values (layer: base). No exception crosses a module boundary or the loop.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "mnemo/base/assert.h"

namespace mnemo {

// Status is either ok or an error message. The message is what a client would see, without the
// leading '-' (for example "ERR value is not an integer or out of range").
class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {
    if (message_.empty()) message_ = "ERR";
  }
  std::string message_;
};

// Result<T> holds a T or an error Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status error) : v_(std::move(error)) { MNEMO_ASSERT(!std::get<Status>(v_).ok()); }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: ok().
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  // REQUIRES: !ok().
  const Status& status() const { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace mnemo
