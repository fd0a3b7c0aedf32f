// fedpp: Worker<L>, a party holding values at location L, and send().
//
//     using Bob = fedpp::DataOwner<"bob">;
//     fedpp::Worker<Bob> bob(federation);          // named "bob"
//     fedpp::Worker<Client> c(federation, "client-17");  // many workers, one location type
//
// A worker has its own object store, reached only through its Federation's
// transport. Values get there with fedpp::send (from the model owner) or
// Pointer::move (from another worker); computations run there with run().
#pragma once

#include "fedpp/io/codec.hpp"
#include "fedpp/located/computation.hpp"
#include "fedpp/located/federation.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_call.hpp"
#include "fedpp/located/trust.hpp"
#include "fedpp/transport/in_process_transport.hpp"
#include "fedpp/transport/request.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp {

template <class L>
class Worker {
    static_assert(Location<L>,
                  "fedpp::Worker<L>: L is not a location. Locations are fedpp::DataOwner<\"name\">, "
                  "fedpp::TrustedAggregator<\"name\"> and fedpp::SumOnlyAggregator<\"name\"> (or types derived "
                  "from them): a type of one's own with a "
                  "`trusted` member is not trusted, trust is not declared.");

public:
    using location_type = L;

    /// Joins `federation` under `name` (L::name by default); names are
    /// unique among a federation's live workers. The worker must outlive
    /// its use: pointers to a destroyed worker's objects throw on use.
    explicit Worker(Federation& federation, std::string name = std::string(L::name))
        : seam_(detail::SeamAccess::of(federation)), name_(name), id_(seam_->add_worker(std::move(name), L::trusted)) {}

    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    Worker(Worker&&) = delete;
    Worker& operator=(Worker&&) = delete;

    /// Leaves the federation; the objects it still holds are destroyed.
    ~Worker() { seam_->remove_worker(id_); }

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] WorkerId id() const noexcept { return id_; }
    [[nodiscard]] static constexpr bool trusted() noexcept { return L::trusted; }

    /// How many objects the worker holds.
    [[nodiscard]] std::size_t object_count() const { return seam_->call(Request::count(id_)).count; }
    /// What the worker holds (id and type of each object), by id.
    [[nodiscard]] std::vector<ObjectInfo> objects() const { return seam_->call(Request::list(id_)).objects; }

    /// A pointer to the data this worker published under `tag` (PySyft's
    /// search): the data stays where it is, and is used only by
    /// computations run here; the pointer never deletes it.
    template <class T>
    [[nodiscard]] Pointer<T, L> find(std::string_view tag) const {
        const ObjectId id = seam_->call(Request::find(id_, tag, detail::value_type<T>())).object;
        return detail::PointerAccess::make<T, L>(seam_, id_, id, "a find");
    }

    /// Runs `function` here and returns a Pointer<Result, L> to its result,
    /// stored here (nothing when it returns void). Each Pointer argument
    /// gives the function the value it refers to (T&, which it may modify
    /// in place, as training does); every other argument is copied there
    /// and given as const V&. `function` must capture nothing (see
    /// fedpp/located/computation.hpp): pass what it needs as arguments.
    /// Every pointer must be located here: values at different locations
    /// cannot be combined. A scalar result (a loss) can then be read with
    /// get().
    template <class F, class... Args>
    auto run(const F& function, const Args&... args) {
        (void)function; // its type is the code; it has no state to send
        static_assert(Runnable<F>,
                      "fedpp: Worker::run: the function must capture nothing (a lambda with an empty []), so that "
                      "what runs at the worker cannot reach this program's memory: pass the values it needs as "
                      "arguments, run(f, pointer, value, ...), and they are copied there");
        static_assert((check_argument<Args>() && ...));
        return detail::run_at<L, F>(seam_, id_, "Worker::run", args...);
    }

private:
    friend struct detail::SeamAccess;

    /// The rules for one argument of run(); true when it passes.
    template <class A>
    static constexpr bool check_argument() {
        if constexpr (detail::PointerArgument<A>::value) {
            using T = typename detail::PointerArgument<A>::value_type;
            static_assert(SameLocation<typename A::location_type, L>,
                          "fedpp: Worker::run: every Pointer must be located at this worker's location; the values "
                          "live on different workers and cannot be combined: move one first (a data owner's "
                          "values only to a TrustedAggregator)");
            static_assert(ComputableAt<T, L> || !SumOnlyLocation<L>,
                          "fedpp: Worker::run at a sum-only aggregator takes only values the model owner may read "
                          "(the unmasked sum, scalars): a masked update may only go into the secure sum");
            static_assert(ComputableAt<T, L> || SumOnlyLocation<L>,
                          "fedpp: Worker::run at a trusted location takes only values the model owner may read "
                          "(aggregates and scalars): what data owners sent there may only be aggregated "
                          "(fedpp::fedavg, fedpp::accumulate, ...)");
        } else {
            static_assert(Serializable<A>, "fedpp: Worker::run: an argument that is not a Pointer is copied to the "
                                           "worker as bytes, so its type needs a fedpp::Codec specialisation");
        }
        return true;
    }

    std::shared_ptr<detail::Seam> seam_;
    std::string name_;
    WorkerId id_;
};

namespace detail {

/// send() of bytes already encoded from a T: the driver encodes the global
/// model once per round and sends the same bytes to every selected client.
template <class T, Location L>
Pointer<T, L> send_encoded(const Bytes& bytes, Worker<L>& worker) {
    const auto& seam = SeamAccess::of(worker);
    const ObjectId id = seam->call(Request::store(model_owner_id, worker.id(), value_type<T>(), bytes)).object;
    return PointerAccess::make<T, L>(seam, worker.id(), id, "a send");
}

} // namespace detail

/// The data of a data owner's own, published under `tag` at `worker`, for
/// a simulation in one process: in a networked run each data owner
/// publishes its own data in its own process (party::Host::publish), and
/// nothing crosses. ArgumentError for a federation whose workers are not in
/// this process.
template <class T, Location L>
void publish(Worker<L>& worker, std::string_view tag, const T& value) {
    auto* in_process = dynamic_cast<InProcessTransport*>(&detail::SeamAccess::of(worker)->transport());
    if (in_process == nullptr) {
        throw ArgumentError("fedpp::publish: the workers are other processes; each publishes its own data there");
    }
    const Bytes bytes = to_bytes(value);
    in_process->publish(worker.id(), tag, detail::value_type<T>(), bytes);
}

/// Places a copy of `value` at `worker` (sent as bytes through the
/// federation's transport, and logged) and returns the only pointer to it.
/// The C++ spelling of `value.send(worker)`.
template <class T, Location L>
[[nodiscard]] Pointer<std::remove_cvref_t<T>, L> send(const T& value, Worker<L>& worker) {
    using Value = std::remove_cvref_t<T>;
    static_assert(Serializable<Value>, "fedpp::send: values travel as bytes, so the type needs a fedpp::Codec "
                                       "specialisation (see fedpp/io/codec.hpp)");
    if constexpr (Serializable<Value>) {
        const auto& seam = detail::SeamAccess::of(worker);
        if (seam->transport().encodes_while_sending()) { // no buffer of the whole encoding
            const auto write = [&](ByteWriter& out) { detail::write_tagged_value(value, out); };
            const ValueEncoding encoding{detail::tagged_size(value), write};
            const ObjectId id =
                seam->call(Request::store(model_owner_id, worker.id(), detail::value_type<Value>(), encoding)).object;
            return detail::PointerAccess::make<Value, L>(seam, worker.id(), id, "a send");
        }
        const Bytes bytes = to_bytes(value);
        return detail::send_encoded<Value>(bytes, worker);
    } else {
        return {}; // not compiled: the message above is the error
    }
}

} // namespace fedpp
