// fedpp: strings usable as template arguments (DataOwner<"bob">).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace fedpp::detail {

/// A string literal as a structural type: DataOwner<"bob">,
/// declassify<"reason">(pointer).
template <std::size_t N>
struct FixedString {
    char chars[N]{};
    constexpr FixedString(const char (&text)[N]) noexcept { std::copy_n(text, N, chars); } // NOLINT: implicit by design
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

} // namespace fedpp::detail
