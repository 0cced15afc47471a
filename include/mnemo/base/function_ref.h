// function_ref.h: a non-owning reference to a callable, for visitor parameters (layer: base).
//
// A type API that walks its elements and hands each to the caller (ZRANGE emitting replies, a
// union reading its inputs) takes a FunctionRef instead of a template, so the walk can live in a
// .cc file, and instead of a std::function, which may allocate and copies the callable.
// FunctionRef is two words: a pointer to the callable and a pointer to a function that calls it.
//
// Lifetime: the referenced callable must outlive every call through the FunctionRef. Passing a
// lambda straight to a function parameter is always fine (the temporary lives until the call
// returns); storing a FunctionRef to a temporary is not.
#pragma once

#include <type_traits>
#include <utility>

namespace mnemo {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F,
            typename = std::enable_if_t<!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
                                        std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor): implicit by design
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace mnemo
