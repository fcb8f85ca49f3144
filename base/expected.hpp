// One way to say that something failed, on the control plane: Expected<T> holds the value or the
// Error, with std::expected's interface (C++23's <expected>, which GCC 12 and clang 14 do not
// offer in C++20), so that moving to the standard type later is a rename.
//
// The data plane does not use it: a packet that fails is dropped with a DropReason, the way the
// device counts it. Configuration, files, sockets, the kernel, key material and the engines'
// inputs return Expected; exceptions stay for what cannot happen (a bug, memory).
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace vfw {

// What kind of failure it is, where a caller acts on the kind (a command's exit status); most
// callers only print the message.
enum class Errc : uint8_t {
  Failed,           // the work itself failed (a refused configuration, a packet not forwarded)
  InvalidArgument,  // what was asked for is not well formed (a bad option, an unknown interface)
};

// What went wrong, in words for the person who will read it ("cannot open tun0: Operation not
// permitted"). The caller adds where ("fw1.cfg: ...") when it knows more.
struct Error {
  std::string message;
  Errc code = Errc::Failed;
};

// The error side of an Expected, as std::unexpected is: `return Unexpected(Error{"..."});`, or
// `return fail("...")` below.
template <typename E>
class Unexpected {
 public:
  explicit Unexpected(E e) : error_(std::move(e)) {}
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

inline Unexpected<Error> fail(std::string message, Errc code = Errc::Failed) {
  return Unexpected(Error{std::move(message), code});
}

template <typename T, typename E = Error>
class [[nodiscard]] Expected {
 public:
  using value_type = T;
  using error_type = E;

  Expected() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  template <typename U = T>
  requires std::is_constructible_v<T, U&&> &&(!std::is_same_v<std::remove_cvref_t<U>, Expected>)&&(
      !std::is_same_v<std::remove_cvref_t<U>, Unexpected<E>>)Expected(U&& value)
      : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT
  template <typename G>
  Expected(Unexpected<G> u) : v_(std::in_place_index<1>, std::move(u).error()) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <typename U>
  T value_or(U&& other) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(other));
  }

  const E& error() const& { return std::get<1>(v_); }
  E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, E> v_;
};

// Done, or why not.
template <typename E>
class [[nodiscard]] Expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Expected() = default;
  template <typename G>
  Expected(Unexpected<G> u) : error_(std::move(u).error()), failed_(true) {}  // NOLINT

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const {}
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_{};
  bool failed_ = false;
};

using Status = Expected<void>;

}  // namespace vfw
