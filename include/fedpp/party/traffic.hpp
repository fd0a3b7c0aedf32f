// fedpp: what crossed a party's boundary, by direction, peer and value type:
// each party's own account of the bytes it received and sent.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace fedpp::party {

struct TrafficLine {
    std::string direction; ///< "in" (stored here) or "out" (fetched from here, or forwarded on)
    std::string peer;      ///< who sent it, or who received it
    std::string type;      ///< the value's type name
    std::size_t count = 0;
    std::size_t bytes = 0;
};

class Traffic {
public:
    /// Makes the line of `direction`, `peer` and `type` (at no count) if it
    /// is new: before what it counts is done, so that counting it then
    /// (add) cannot fail, and a value that arrived or left is never
    /// reported failed for want of memory to count it.
    void open(std::string_view direction, std::string_view peer, std::string_view type) {
        const std::lock_guard lock(mutex_);
        if (!lines_.contains(KeyView{direction, peer, type})) {
            lines_.emplace(Key{direction, peer, type}, Counts{});
        }
    }

    /// One more value of `bytes` bytes on a line open()ed before (one that
    /// was not counts nothing): allocates nothing.
    void add(std::string_view direction, std::string_view peer, std::string_view type, std::size_t bytes) noexcept {
        const std::lock_guard lock(mutex_);
        if (const auto it = lines_.find(KeyView{direction, peer, type}); it != lines_.end()) {
            ++it->second.first;
            it->second.second += bytes;
        }
    }

    void record(std::string_view direction, std::string_view peer, std::string_view type, std::size_t bytes) {
        open(direction, peer, type);
        add(direction, peer, type, bytes);
    }

    /// record() where what it counts is done already: false, and nothing
    /// counted, if memory for a new line runs out (the value crossed all the
    /// same; only its count is lost).
    [[nodiscard]] bool try_record(std::string_view direction, std::string_view peer, std::string_view type,
                                  std::size_t bytes) noexcept {
        try {
            record(direction, peer, type, bytes);
            return true;
        } catch (const std::bad_alloc&) {
            return false;
        }
    }

    /// The lines that counted a value, in order of direction, peer and type.
    [[nodiscard]] std::vector<TrafficLine> lines() const {
        const std::lock_guard lock(mutex_);
        std::vector<TrafficLine> out;
        for (const auto& [key, value] : lines_) {
            if (value.first != 0) { // (not a line opened for a value that then failed)
                out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), value.first, value.second});
            }
        }
        return out;
    }

private:
    mutable std::mutex mutex_;
    using Counts = std::pair<std::size_t, std::size_t>; // values, bytes
    using Key = std::tuple<std::string, std::string, std::string>;
    using KeyView = std::tuple<std::string_view, std::string_view, std::string_view>;
    /// Orders lines by direction, peer and type, found by views of them
    /// (without allocating).
    struct Order {
        using is_transparent = void;
        static KeyView view(const Key& key) noexcept { return {std::get<0>(key), std::get<1>(key), std::get<2>(key)}; }
        static KeyView view(const KeyView& key) noexcept { return key; }
        template <class A, class B>
        bool operator()(const A& a, const B& b) const noexcept {
            return view(a) < view(b);
        }
    };
    std::map<Key, Counts, Order> lines_;
};

} // namespace fedpp::party
