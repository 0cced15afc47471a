// function_ref.h: a non-owning reference to a callable, for visitor parameters (layer: base).
//
// std::function owns a copy of its callable and allocates when the captures do not fit its small
// buffer; a visitor that lives only for the call it is passed to needs neither. FunctionRef is two
// words (object pointer + trampoline) and never allocates.
//
// Lifetime: a FunctionRef must not outlive the callable it refers to; pass lambdas directly as
// arguments, never store a FunctionRef built from a temporary.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace mnemo {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                                    std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): meant to convert implicitly
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
