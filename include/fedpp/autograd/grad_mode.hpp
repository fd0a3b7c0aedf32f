// fedpp: switching gradient recording off for a scope (torch.no_grad()).
#pragma once

namespace fedpp {

namespace detail {
/// Whether operations record a graph for backward(). One flag per thread,
/// so a NoGradGuard in one thread never changes what another thread records.
inline bool& grad_mode_flag() noexcept {
    thread_local bool enabled = true;
    return enabled;
}
} // namespace detail

/// True unless a NoGradGuard is alive in this thread.
[[nodiscard]] inline bool is_grad_enabled() noexcept { return detail::grad_mode_flag(); }

/// RAII scope in which operations compute values only: no graph is recorded
/// and the results do not require gradients. The C++ spelling of
/// `with torch.no_grad():`. Guards nest; each restores what it found.
class NoGradGuard {
public:
    NoGradGuard() noexcept : previous_(detail::grad_mode_flag()) { detail::grad_mode_flag() = false; }
    ~NoGradGuard() { detail::grad_mode_flag() = previous_; }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

} // namespace fedpp
