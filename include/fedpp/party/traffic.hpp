// fedpp: what crossed a party's boundary, by direction, peer and value type:
// each party's own account of the bytes it received and sent.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
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
    using Counts = std::pair<std::size_t, std::size_t>; // values, bytes

public:
    /// A line's counts, opened before what it counts is done: counting it
    /// then (add) cannot fail, so a value that arrived or left is never
    /// reported failed for want of memory to count it.
    class Line {
        friend class Traffic;
        Counts* counts_ = nullptr;
    };

    /// The line of `direction`, `peer` and `type` (made, at no count, if new).
    [[nodiscard]] Line line(const std::string& direction, const std::string& peer, const std::string& type) {
        const std::lock_guard lock(mutex_);
        Line line;
        line.counts_ = &lines_[{direction, peer, type}]; // (a map's elements stay where they are)
        return line;
    }

    /// One more value of `bytes` bytes on `line`.
    void add(Line line, std::size_t bytes) noexcept {
        const std::lock_guard lock(mutex_);
        ++line.counts_->first;
        line.counts_->second += bytes;
    }

    void record(const std::string& direction, const std::string& peer, const std::string& type, std::size_t bytes) {
        add(line(direction, peer, type), bytes);
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
    std::map<std::tuple<std::string, std::string, std::string>, Counts> lines_;
};

} // namespace fedpp::party
