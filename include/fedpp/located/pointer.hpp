// fedpp: Pointer<T, L>, the only handle to a value living at a worker.
//
//     auto p = fedpp::send(value, bob);  // Pointer<Value, Bob>: a copy now lives at bob
//     auto q = p.move(secure);           // bob -> secure directly; p is spent
//     auto v = q.get();                  // back to the model owner, deleted at secure
//
// Pointers are move-only, so each remote object has exactly one owner, and
// destroying that pointer deletes the object at the worker: nothing is left
// behind. Using a pointer after get(), move() or declassify() throws
// InvalidPointerError.
//
// The location is in the type, and the rules of trust.hpp are checked by
// the compiler:
//   - get() of a model or tensor from an untrusted location does not compile
//     (scalars such as a loss may be read); fedpp::declassify is the
//     explicit, greppable way to take it anyway;
//   - move() out of an untrusted location compiles only towards a trusted
//     location (or the same one), never to another data owner;
//   - values of two locations cannot be combined (see Worker::run and
//     remote_arithmetic.hpp).
#pragma once

#include "fedpp/io/codec.hpp"
#include "fedpp/located/federation.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer_errors.hpp"
#include "fedpp/located/trust.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/seam.hpp"

#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace fedpp {

template <class L>
class Worker;

template <class T, Location L>
class Pointer;

namespace detail {
/// false, for a static_assert that fires only when its template is used.
template <class>
inline constexpr bool never = false;

struct PointerAccess;

/// The seam behind a federation or a worker, for the rest of fedpp (users
/// reach workers through Worker and Pointer only).
struct SeamAccess {
    static const std::shared_ptr<Seam>& of(const Federation& federation) noexcept { return federation.seam_; }
    template <Location L>
    static const std::shared_ptr<Seam>& of(const Worker<L>& worker) noexcept {
        return worker.seam_;
    }
};
} // namespace detail

template <class T, Location L>
class Pointer {
    static_assert(!std::is_const_v<T> && !std::is_reference_v<T>, "fedpp::Pointer<T, L>: T must be a plain value type");
    static_assert(Serializable<T>, "fedpp::Pointer<T, L>: values at workers are sent as bytes, so T needs a "
                                   "fedpp::Codec<T> specialisation (see fedpp/io/codec.hpp)");

public:
    using value_type = T;
    using location_type = L;

    /// An empty pointer, to be assigned later.
    Pointer() noexcept = default;

    Pointer(Pointer&& other) noexcept
        : seam_(std::move(other.seam_)), worker_(other.worker_), object_(other.object_),
          state_(std::exchange(other.state_, State::moved_from)) {}

    Pointer& operator=(Pointer&& other) noexcept {
        if (this != &other) {
            release();
            seam_ = std::move(other.seam_);
            worker_ = other.worker_;
            object_ = other.object_;
            state_ = std::exchange(other.state_, State::moved_from);
        }
        return *this;
    }

    // Pointers are move-only. The copy operations are declared, not
    // deleted, so that copying a Pointer, or a container of them (a
    // std::vector<Pointer>), fails on fedpp's message and on it first: with
    // deleted ones, the standard library reports its own errors before it.
    // So std::is_copy_constructible_v<Pointer> holds, though no copy compiles
    // (tests/compile_fail: copy_pointer, copy_assign_pointer, copy_pointer_vector).
    Pointer(const Pointer&) : Pointer() {
        static_assert(detail::never<T>, "fedpp::Pointer is move-only (each remote object has one owner): "
                                        "std::move() it, or call copy() for a second remote object");
    }
    Pointer& operator=(const Pointer&) {
        static_assert(detail::never<T>, "fedpp::Pointer is move-only (each remote object has one owner): "
                                        "std::move() it, or call copy() for a second remote object");
        return *this;
    }

    /// Deletes the object at the worker (if this pointer still owns it).
    ~Pointer() { release(); }

    /// Brings the value back to the model owner and deletes it at the
    /// worker; the pointer is spent. Compiles for scalars (a loss, a count)
    /// anywhere, and for aggregates at a trusted location.
    [[nodiscard]] T get() {
        static_assert(!UntrustedLocation<L> || ReadableAt<T, L>,
                      "fedpp: get() would copy a model or tensor out of an untrusted data-owner location. "
                      "To aggregate it, move() it to a TrustedAggregator and call fedpp::fedavg there; "
                      "to take it anyway, write fedpp::declassify<\"reason\">(std::move(pointer)) so that "
                      "reviewers can find it.");
        static_assert(!TrustedLocation<L> || ReadableAt<T, L>,
                      "fedpp: get() at a trusted location releases only aggregates (what fedavg, average_of, "
                      "coordinate_median and trimmed_mean return) and scalars: a model or tensor a data owner "
                      "sent there may only be aggregated, never read.");
        static_assert(!SumOnlyLocation<L> || ReadableAt<T, L>,
                      "fedpp: get() at a sum-only aggregator releases only the unmasked sum (the Aggregate that "
                      "secagg::SecureRound::sum returns) and scalars: a masked update is read by no one.");
        return fetch(TransferKind::get, {});
    }

    /// Transfers the value straight from its worker to `destination` (the
    /// model owner never holds it) and returns the pointer there; this
    /// pointer is spent. Moving to the worker it is already at only hands
    /// over the pointer.
    template <Location Destination>
    [[nodiscard]] Pointer<T, Destination> move(Worker<Destination>& destination) {
        static_assert(!UntrustedLocation<L> || !SumOnlyLocation<Destination> || MovableBetween<T, L, Destination>,
                      "fedpp: move() to a sum-only aggregator takes only masked updates (secagg::SecureRound::"
                      "mask) and protocol messages: it is trusted with no single data owner's model.");
        static_assert(!UntrustedLocation<L> || SumOnlyLocation<Destination> || MovableBetween<T, L, Destination>,
                      "fedpp: move() would hand a value held by an untrusted data owner to another untrusted "
                      "location, showing that party this one's data. Values leave a data owner only for a "
                      "TrustedAggregator (or explicitly, with fedpp::declassify).");
        static_assert(!TrustedLocation<L> || MovableBetween<T, L, Destination>,
                      "fedpp: move() from a trusted location sends on only aggregates (what fedavg, average_of, "
                      "coordinate_median and trimmed_mean return) and scalars: a model or tensor a data owner "
                      "sent there may only be aggregated, not passed on to anyone.");
        static_assert(!SumOnlyLocation<L> || MovableBetween<T, L, Destination>,
                      "fedpp: move() from a sum-only aggregator sends on only the unmasked sum (an Aggregate) "
                      "and scalars: a masked update may only go into the secure sum.");
        require_live("move()");
        require_same_federation(detail::SeamAccess::of(destination), "move()");
        if (destination.id() == worker_) {
            state_ = State::moved_away;
            return Pointer<T, Destination>(seam_, worker_, object_);
        }
        if constexpr (SameLocation<L, Destination> && !TrustedLocation<L> && !PublicScalar<T>) {
            detail::throw_move_between_data_owners(*seam_, worker_, destination.id());
        }
        const auto request = Request::forward(worker_, object_, detail::value_type<T>(), destination.id());
        const ObjectId moved = seam_->call(request).object;
        state_ = State::moved_away; // (its worker says the value has left)
        return Pointer<T, Destination>::made(seam_, destination.id(), moved, "a move");
    }

    /// A second, independent object with the same value at the same worker.
    [[nodiscard]] Pointer copy() const {
        static_assert(CopyableAt<T, L>,
                      "fedpp: copy() of a model, tensor or masked update at an aggregator: what a data owner sent "
                      "there may only be aggregated, and two copies of it would count as two contributions.");
        require_live("copy()");
        return made(seam_, worker_, seam_->call(Request::copy(worker_, object_, detail::value_type<T>())).object,
                    "a copy");
    }

    /// True while the pointer owns an object at a worker.
    [[nodiscard]] bool valid() const noexcept { return state_ == State::live; }
    [[nodiscard]] ObjectId id() const noexcept { return object_; }
    [[nodiscard]] WorkerId worker_id() const noexcept { return worker_; }
    /// The name of the worker the value is at.
    [[nodiscard]] std::string worker_name() const { return seam_ ? seam_->name_of(worker_) : std::string("nowhere"); }

private:
    template <class, Location>
    friend class Pointer;
    friend struct detail::PointerAccess;

    using State = detail::PointerState;

    Pointer(std::shared_ptr<detail::Seam> seam, WorkerId worker, ObjectId object) noexcept
        : seam_(std::move(seam)), worker_(worker), object_(object), state_(State::live) {}

    /// The pointer to `object`, which worker `worker` says `operation` made
    /// there: RemoteObjectError if it names none (detail::throw_no_object_made).
    static Pointer made(std::shared_ptr<detail::Seam> seam, WorkerId worker, ObjectId object, const char* operation) {
        if (object == 0) {
            detail::throw_no_object_made(*seam, worker, operation);
        }
        return Pointer(std::move(seam), worker, object);
    }

    void release() noexcept {
        if (state_ != State::live) {
            return;
        }
        state_ = State::empty;
        try {
            seam_->call(Request::erase(worker_, object_));
        } catch (...) { // NOLINT(bugprone-empty-catch): the worker is gone, and its objects with it
        }
    }

    void require_live(const char* operation) const {
        if (state_ != State::live) {
            detail::throw_spent_pointer(detail::value_type<T>().name, operation, state_);
        }
    }

    void require_same_federation(const std::shared_ptr<detail::Seam>& other, const char* operation) const {
        if (other != seam_) {
            detail::throw_other_federation(operation);
        }
    }

    T fetch(TransferKind kind, std::string_view reason) {
        require_live(kind == TransferKind::get ? "get()" : "declassify()");
        const Reply reply =
            seam_->call(Request::fetch(worker_, object_, detail::value_type<T>(), kind, reason));
        state_ = kind == TransferKind::get ? State::taken : State::declassified;
        return from_bytes<T>(reply.payload, [this] { return detail::fetched_from(*seam_, worker_); });
    }

    std::shared_ptr<detail::Seam> seam_;
    WorkerId worker_ = 0;
    ObjectId object_ = 0;
    State state_ = State::empty;
};

namespace detail {

/// Builds and reads pointers for the rest of the library (Worker::run,
/// fedavg, declassify, remote operators).
struct PointerAccess {
    /// The pointer to `object`, which worker `worker` answered `operation`
    /// with: RemoteObjectError if it names none.
    template <class T, Location L>
    static Pointer<T, L> make(std::shared_ptr<Seam> seam, WorkerId worker, ObjectId object, const char* operation) {
        return Pointer<T, L>::made(std::move(seam), worker, object, operation);
    }

    /// InvalidPointerError unless `pointer` is live; LocationError unless it
    /// is at worker `worker` of `seam`.
    template <class T, Location L>
    static void require_at(const Pointer<T, L>& pointer, const std::shared_ptr<Seam>& seam, WorkerId worker,
                           const char* operation) {
        pointer.require_live(operation);
        pointer.require_same_federation(seam, operation);
        if (pointer.worker_ != worker) {
            throw_not_colocated(operation, *seam, pointer.worker_, worker);
        }
    }

    template <class T, Location L>
    static void require_live(const Pointer<T, L>& pointer, const char* operation) {
        pointer.require_live(operation);
    }

    template <class T, Location L>
    static const std::shared_ptr<Seam>& seam(const Pointer<T, L>& pointer) noexcept {
        return pointer.seam_;
    }

    template <class T, Location L>
    static T fetch(Pointer<T, L>& pointer, TransferKind kind, std::string_view reason) {
        return pointer.fetch(kind, reason);
    }

    /// move() to worker `to` of the same federation, for fedpp's own
    /// protocols, which hold no Worker of its location: the rules are theirs
    /// to keep. `pointer` is spent.
    template <class T, Location To, Location L>
    static Pointer<T, To> forward(Pointer<T, L>& pointer, WorkerId to) {
        pointer.require_live("move()");
        const ObjectId moved =
            pointer.seam_->call(Request::forward(pointer.worker_, pointer.object_, value_type<T>(), to)).object;
        pointer.state_ = PointerState::moved_away;
        return Pointer<T, To>::made(pointer.seam_, to, moved, "a move");
    }

    /// Forwards `pointer`'s value straight into `computation` at worker `to`
    /// (Request::forward_into; the transport must carry it out) and returns
    /// the computation's result there (0 if none). `pointer` is spent once
    /// the value has crossed, also if the computation refused it (its
    /// exception is rethrown); it stays live if nothing crossed.
    template <class T, Location L>
    static ObjectId forward_into(Pointer<T, L>& pointer, WorkerId to, const Computation& computation,
                                 std::span<const ObjectRef> inputs, const Bytes& arguments, const char* operation) {
        pointer.require_live(operation);
        const Reply reply = pointer.seam_->call(
            Request::forward_into(pointer.worker_, pointer.object_, value_type<T>(), to, computation, inputs, arguments));
        pointer.state_ = PointerState::moved_away;
        if (reply.refused) {
            std::rethrow_exception(reply.refused);
        }
        return reply.object;
    }
};

} // namespace detail

} // namespace fedpp
