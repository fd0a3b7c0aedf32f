// fedpp: non-owning references to callables, for code that only calls them
// down the stack.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

namespace fedpp::detail {

template <class Signature>
class FunctionRef;

/// A non-owning reference to a callable: a function pointer and the
/// callable's address, nothing allocated, nothing copied. The callable must
/// outlive the reference, which therefore only travels down the stack.
template <class R, class... Args>
class FunctionRef<R(Args...)> {
public:
    template <class F>
        requires(std::is_invocable_r_v<R, const F&, Args...> && !std::is_same_v<std::remove_cvref_t<F>, FunctionRef>)
    FunctionRef(const F& callable) noexcept // NOLINT: implicit, so that a lambda can be passed where one is expected
        : callable_(&callable), call_([](const void* c, Args... args) -> R {
              return (*static_cast<const F*>(c))(std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(callable_, std::forward<Args>(args)...); }

private:
    const void* callable_;
    R (*call_)(const void*, Args...);
};

/// A text built only if it is needed. Names of inputs ("value sent from 'me'
/// to 'bob'") are needed only for error messages, but would otherwise be
/// composed for every value that crosses.
using LazyText = FunctionRef<std::string()>;

} // namespace fedpp::detail
