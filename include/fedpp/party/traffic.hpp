// fedpp: what crossed a party's boundary, by direction, peer and value type:
// each party's own account of the bytes it received and sent.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
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
    void record(const std::string& direction, const std::string& peer, const std::string& type, std::size_t bytes) {
        const std::lock_guard lock(mutex_);
        auto& [count, total] = lines_[{direction, peer, type}];
        ++count;
        total += bytes;
    }

    [[nodiscard]] std::vector<TrafficLine> lines() const {
        const std::lock_guard lock(mutex_);
        std::vector<TrafficLine> out;
        for (const auto& [key, value] : lines_) {
            out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), value.first, value.second});
        }
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, std::string>, std::pair<std::size_t, std::size_t>> lines_;
};

} // namespace fedpp::party
