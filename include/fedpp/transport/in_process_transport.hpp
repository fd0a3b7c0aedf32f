// fedpp: InProcessTransport, every worker in this process.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/object_shard.hpp"
#include "fedpp/transport/object_store.hpp"
#include "fedpp/transport/transport.hpp"
#include "fedpp/transport/value_type.hpp"

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp {

/// All workers live in this process, each with its own object store; values
/// still cross between them only as bytes, but for one hand-over: an update
/// forwarded into fedpp::accumulate's sum goes without bytes to that
/// aggregation, which keeps nothing of it (forward_into below).
///
/// Requests from many threads find their worker's store without a lock and
/// without touching a shared counter (clients training in parallel would
/// otherwise queue on it): stores sit in fixed slots, written only when a
/// worker joins or leaves. The slots come in segments of 16, 32, 64, ...
/// slots, allocated as workers join, so a federation of three workers costs
/// a few cache lines and one of a million workers 16 segments; a segment
/// never moves once allocated. A worker that leaves has its store closed,
/// not freed, until the transport goes: a request racing with a departing
/// worker meets a closed store and a clear error, never freed memory, and
/// pointers that outlive their worker can still delete their objects. That
/// keeps one small object per departed worker.
class InProcessTransport final : public Transport, private ContributorNames {
public:
    /// Shards of a trusted worker's store (see ObjectStore).
    static constexpr std::size_t trusted_store_shards = 8;

    InProcessTransport() = default;
    ~InProcessTransport() override;

    void attach(WorkerId id, std::string name, bool trusted) override;

    void detach(WorkerId id) noexcept override {
        // The slot keeps the closed store: pointers that outlive their
        // worker still reach it to delete their objects.
        if (ObjectStore* store = find_store(id)) {
            store->close();
        }
    }

    /// The data of worker `id`'s own, published under `tag` (a data owner
    /// loading its files, simulated in this process).
    ObjectId publish(WorkerId id, std::string_view tag, const ValueType& type, std::span<const std::byte> bytes) {
        return store_of(id).publish(tag, type, bytes);
    }

    /// An update forwarded into fedpp::accumulate goes without bytes.
    [[nodiscard]] bool forwards_into_computations() const noexcept override { return true; }

    Reply deliver(const Request& request) override;

private:
    using Slot = std::atomic<ObjectStore*>;

    // Segment k holds first_segment_slots << k slots: worker ids
    // [16 (2^k - 1), 16 (2^(k+1) - 1)). 29 segments cover every WorkerId.
    static constexpr std::size_t first_segment_slots = 16;
    static constexpr int first_segment_bits = 4; // log2(first_segment_slots)
    static constexpr std::size_t segment_count = 29;

    struct SlotLocation {
        std::size_t segment;
        std::size_t offset;
    };
    static SlotLocation locate(WorkerId id) noexcept {
        const std::uint64_t n = std::uint64_t{id} + first_segment_slots;
        const auto segment = static_cast<std::size_t>(std::bit_width(n) - 1 - first_segment_bits);
        return {segment, static_cast<std::size_t>(n - (std::uint64_t{first_segment_slots} << segment))};
    }

    ObjectStore* find_store(WorkerId id) const noexcept {
        const auto [segment, offset] = locate(id);
        const Slot* slots = segments_[segment].load(std::memory_order_acquire);
        return slots != nullptr ? slots[offset].load(std::memory_order_acquire) : nullptr;
    }

    ObjectStore& store_of(WorkerId id) const;

    /// A contributor here is the worker that moved the value: its name.
    [[nodiscard]] std::string name_of(ContributorId contributor) const override {
        const ObjectStore* store = find_store(WorkerId{contributor});
        return store != nullptr ? store->name() : std::string();
    }

    std::string sender_name(WorkerId id) const;

    /// Encodes at the source, stores at the destination, and only then lets
    /// go of the original: a failed transfer loses nothing. What a data
    /// owner forwards is its contribution at the destination.
    Reply forward(ObjectStore& source, const Request& request);

    /// The object goes into the computation at the destination without
    /// bytes being made, as a network would need: read in place when the
    /// store held it alone and the computation may read it so (nothing else
    /// shares its memory: Computation::reads_in_place), else as a private
    /// copy. It is never stored at the destination, and is logged as the
    /// move of its encoding's size. It stays at the source if the
    /// destination or the computation refuses it first, or a source that is
    /// not a data owner sends it; once it crossed, it is gone from there (a
    /// refusal by the computation is then reply.refused).
    Reply forward_into(ObjectStore& source, const Request& request);

    std::mutex mutex_; // attach only
    std::array<std::atomic<Slot*>, segment_count> segments_{};
    std::vector<std::unique_ptr<Slot[]>> owned_segments_;
    std::vector<std::unique_ptr<ObjectStore>> owned_stores_; // every store ever attached
};

} // namespace fedpp

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/transport/in_process_transport-inl.hpp"
#endif
