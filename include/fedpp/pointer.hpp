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
// The location is in the type, and the rules of location.hpp are checked by
// the compiler:
//   - get() of a model or tensor from an untrusted location does not compile
//     (scalars such as a loss may be read); fedpp::declassify(ptr, "reason")
//     is the explicit, greppable way to take it anyway;
//   - move() out of an untrusted location compiles only towards a trusted
//     location (or the same one), never to another data owner;
//   - values of two locations cannot be combined (see Worker::run and
//     remote_ops.hpp).
#pragma once

#include "fedpp/errors.hpp"
#include "fedpp/federation.hpp"
#include "fedpp/location.hpp"
#include "fedpp/serialization.hpp"
#include "fedpp/transport.hpp"

#include <array>
#include <cstdint>
#include <functional> // std::invoke
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace fedpp {

template <Location L>
class Worker;

template <class T, Location L>
class Pointer;

namespace detail {
struct PointerAccess;

enum class PointerState : std::uint8_t { empty, live, moved_from, taken, moved_away, declassified };

// Error paths, out of line of the Pointer<T, L> templates: each instantiation
// (one per value type and location in a program) would otherwise carry, and
// the compiler optimise, its own copy of the code that composes the message.

/// InvalidPointerError: `operation` on a spent pointer to a `type_name`.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_spent_pointer(const std::string& type_name,
                                                                       const char* operation, PointerState state) {
    const char* why = "";
    switch (state) {
    case PointerState::empty: why = "it was never given an object"; break;
    case PointerState::moved_from: why = "it was moved from (std::move) into another Pointer"; break;
    case PointerState::taken: why = "get() already brought its value back and deleted it at the worker"; break;
    case PointerState::moved_away: why = "move() already transferred its value to another worker"; break;
    case PointerState::declassified: why = "declassify() already brought its value back"; break;
    case PointerState::live: break;
    }
    throw InvalidPointerError("fedpp::Pointer<" + type_name + ">::" + operation + ": the pointer is spent: " + why);
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_other_federation(const char* operation) {
    throw LocationError(std::string(operation) + ": the destination worker belongs to another Federation");
}

/// LocationError: a value at worker `at` used with values at worker `wanted`.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_colocated(const char* operation, const Seam& seam,
                                                                       WorkerId at, WorkerId wanted) {
    throw LocationError(std::string(operation) + ": a value at '" + seam.name_of(at) +
                        "' cannot be combined with values at '" + seam.name_of(wanted) +
                        "' (two workers of the same location type); move it there first");
}

/// The name of the bytes a fetch brought back, for error messages.
[[gnu::cold, gnu::noinline]] inline std::string fetched_from(const Seam& seam, WorkerId worker) {
    return "value fetched from '" + seam.name_of(worker) + "'";
}
} // namespace detail

template <class T, Location L>
class Pointer {
    static_assert(!std::is_const_v<T> && !std::is_reference_v<T>, "fedpp::Pointer<T, L>: T must be a plain value type");
    static_assert(Serializable<T>, "fedpp::Pointer<T, L>: values at workers are sent as bytes, so T needs a "
                                   "fedpp::Codec<T> specialisation (see fedpp/serialization.hpp)");

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

    Pointer(const Pointer&) = delete; // fedpp::Pointer is move-only: std::move() it, or call copy() for a second remote object
    Pointer& operator=(const Pointer&) = delete; // fedpp::Pointer is move-only: std::move() it, or call copy()

    /// Deletes the object at the worker (if this pointer still owns it).
    ~Pointer() { release(); }

    /// Brings the value back to the model owner and deletes it at the
    /// worker; the pointer is spent. Compiles for any value at a trusted
    /// location and for scalars (a loss, a count) anywhere.
    [[nodiscard]] T get() {
        static_assert(TrustedLocation<L> || is_public_scalar_v<T>,
                      "fedpp: get() would copy a model or tensor out of an untrusted data-owner location. "
                      "To aggregate it, move() it to a TrustedAggregator and call fedpp::fedavg there; "
                      "to take it anyway, write fedpp::declassify(std::move(pointer), \"reason\") so that "
                      "reviewers can find it.");
        return fetch(TransferKind::get, {});
    }

    /// Transfers the value straight from its worker to `destination` (the
    /// model owner never holds it) and returns the pointer there; this
    /// pointer is spent. Moving to the worker it is already at only hands
    /// over the pointer.
    template <Location Destination>
    [[nodiscard]] Pointer<T, Destination> move(Worker<Destination>& destination) {
        static_assert(TrustedLocation<L> || TrustedLocation<Destination> || std::is_same_v<L, Destination> ||
                          is_public_scalar_v<T>,
                      "fedpp: move() would hand a value held by an untrusted data owner to another untrusted "
                      "location, showing that party this one's data. Values leave a data owner only for a "
                      "TrustedAggregator (or explicitly, with fedpp::declassify).");
        require_live("move()");
        require_same_federation(destination.seam(), "move()");
        if (destination.id() == worker_) {
            state_ = State::moved_away;
            return Pointer<T, Destination>(seam_, worker_, object_);
        }
        if constexpr (std::is_same_v<L, Destination> && !TrustedLocation<L> && !is_public_scalar_v<T>) {
            throw LocationError("move(): '" + worker_name() + "' and '" + destination.name() +
                                "' are two different data owners of the same location type; a data owner's "
                                "value may only move to a trusted location");
        }
        detail::Request request;
        request.operation = detail::Operation::forward;
        request.to = worker_;
        request.object = object_;
        request.destination = destination.id();
        request.type = &detail::value_type<T>();
        const ObjectId moved = seam_->call(request).object;
        state_ = State::moved_away;
        return Pointer<T, Destination>(seam_, destination.id(), moved);
    }

    /// A second, independent object with the same value at the same worker.
    [[nodiscard]] Pointer copy() const {
        require_live("copy()");
        detail::Request request;
        request.operation = detail::Operation::copy;
        request.to = worker_;
        request.object = object_;
        request.type = &detail::value_type<T>();
        return Pointer(seam_, worker_, seam_->call(request).object);
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

    void release() noexcept {
        if (state_ != State::live) {
            return;
        }
        state_ = State::empty;
        try {
            detail::Request request;
            request.operation = detail::Operation::erase;
            request.to = worker_;
            request.object = object_;
            seam_->call(request);
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

    T fetch(TransferKind kind, std::string reason) {
        require_live(kind == TransferKind::get ? "get()" : "declassify()");
        detail::Request request;
        request.operation = detail::Operation::fetch;
        request.to = worker_;
        request.object = object_;
        request.type = &detail::value_type<T>();
        request.fetch_kind = kind;
        request.reason = std::move(reason);
        const detail::Reply reply = seam_->call(request);
        state_ = kind == TransferKind::get ? State::taken : State::declassified;
        return from_bytes<T>(reply.payload, [this] { return detail::fetched_from(*seam_, worker_); });
    }

    template <class U, Location M>
    friend U declassify(Pointer<U, M>& pointer, std::string_view reason);

    std::shared_ptr<detail::Seam> seam_;
    WorkerId worker_ = 0;
    ObjectId object_ = 0;
    State state_ = State::empty;
};

/// Brings a value back from any location, including an untrusted data
/// owner, and records it in the transfer log as a declassification with
/// `reason`. The one sanctioned way around the get() rule: grep for
/// "declassify" to review every place a data owner's value leaves it.
template <class T, Location L>
[[nodiscard]] T declassify(Pointer<T, L>& pointer, std::string_view reason) {
    if (reason.empty()) {
        throw ArgumentError("fedpp::declassify: give the reason the value may leave its owner");
    }
    return pointer.fetch(TransferKind::declassify, std::string(reason));
}

template <class T, Location L>
[[nodiscard]] T declassify(Pointer<T, L>&& pointer, std::string_view reason) {
    return declassify(pointer, reason);
}

namespace detail {

/// Builds and reads pointers for the rest of the library (Worker::run,
/// fedavg, remote operators).
struct PointerAccess {
    template <class T, Location L>
    static Pointer<T, L> make(std::shared_ptr<Seam> seam, WorkerId worker, ObjectId object) noexcept {
        return Pointer<T, L>(std::move(seam), worker, object);
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
};

/// Calls `function` on the stored values, returning the result to store (or
/// nullptr when the function returns void).
template <class Result, class... Ts, class F, std::size_t... I>
std::unique_ptr<RemoteObject> invoke_on_objects(F& function, std::span<RemoteObject* const> objects,
                                                std::index_sequence<I...>) {
    if constexpr (std::is_void_v<Result>) {
        std::invoke(function, static_cast<RemoteValue<Ts>&>(*objects[I]).value...);
        return nullptr;
    } else {
        return std::make_unique<RemoteValue<Result>>(
            std::invoke(function, static_cast<RemoteValue<Ts>&>(*objects[I]).value...));
    }
}

/// Runs `function(T&...)` at worker `worker` on the objects the pointers
/// refer to. Returns a Pointer<Result, L> to the result stored there, or
/// nothing when the function returns void.
template <Location L, class F, class... Ts, class... Ls>
auto run_at(const std::shared_ptr<Seam>& seam, WorkerId worker, const char* operation, F&& function,
            const Pointer<Ts, Ls>&... args) {
    using Result = std::remove_cvref_t<std::invoke_result_t<F&, Ts&...>>;
    static_assert(std::is_void_v<Result> || Serializable<Result>,
                  "fedpp: the result of a function run at a worker stays there, so its type needs a "
                  "fedpp::Codec specialisation (or return void)");
    (PointerAccess::require_at(args, seam, worker, operation), ...);
    const std::array<std::pair<ObjectId, const ValueType*>, sizeof...(Ts)> inputs{{{args.id(), &value_type<Ts>()}...}};
    const auto body = [&function](std::span<RemoteObject* const> objects) {
        return invoke_on_objects<Result, Ts...>(function, objects, std::index_sequence_for<Ts...>{});
    };
    Task task{inputs, body};
    Request request;
    request.operation = Operation::execute;
    request.to = worker;
    request.task = &task;
    const ObjectId result = seam->call(request).object;
    if constexpr (!std::is_void_v<Result>) {
        return PointerAccess::make<Result, L>(seam, worker, result);
    }
}

} // namespace detail

} // namespace fedpp
