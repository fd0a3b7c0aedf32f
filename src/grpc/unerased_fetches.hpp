// fedpp::grpc internals: the erases a model owner's transport sends after
// a fetch (a party keeps a fetched value until its requester erases it:
// party.proto), and those that got no answer, kept by party to be sent
// again before the next request to it, so that no fetched value stays at a
// party for the rest of the session.
#pragma once

#include <fedpp/base/errors.hpp>
#include <fedpp/base/function_ref.hpp>
#include <fedpp/transport/request.hpp>

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::grpc::detail {

class UnerasedFetches {
public:
    /// Sends one erase to the party; throws NetworkError if no answer came,
    /// any other Error if the party answered with a refusal.
    using SendErase = fedpp::detail::FunctionRef<void(ObjectId)>;

    /// Erases the fetched `objects` at `party`, in order. From the first
    /// whose erase gets no answer (the party may be down, and each erase
    /// would wait as long), the rest are kept for erase_left. Any other
    /// answer settles an object: erased, or not the requester's to erase
    /// any more (an erase that arrived, its answer lost).
    void erase(const std::string& party, const std::vector<ObjectId>& objects, SendErase send) {
        for (std::size_t i = 0; i < objects.size(); ++i) {
            try {
                send(objects[i]);
            } catch (const NetworkError&) {
                const std::lock_guard lock(mutex_);
                auto& left = left_[party];
                left.insert(left.end(), objects.begin() + static_cast<std::ptrdiff_t>(i), objects.end());
                return;
            } catch (const Error&) { // NOLINT(bugprone-empty-catch): settled (above)
            }
        }
    }

    /// Before a request to `party`: the erases it did not answer, again.
    void erase_left(const std::string& party, SendErase send) {
        std::vector<ObjectId> objects;
        {
            const std::lock_guard lock(mutex_);
            const auto it = left_.find(party);
            if (it == left_.end()) {
                return;
            }
            objects = std::move(it->second);
            left_.erase(it);
        }
        erase(party, objects, send);
    }

    /// The objects whose erase `party` has not answered yet, oldest first.
    [[nodiscard]] std::vector<ObjectId> left_at(const std::string& party) const {
        const std::lock_guard lock(mutex_);
        const auto it = left_.find(party);
        return it == left_.end() ? std::vector<ObjectId>{} : it->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<ObjectId>> left_;
};

} // namespace fedpp::grpc::detail
