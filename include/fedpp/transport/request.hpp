// fedpp: requests to a worker, and their replies.
//
// Everything the model owner (or a worker) asks of a worker is one Request:
// store a value sent to it, fetch one back, forward one to another worker,
// forward one straight into a computation at another worker, erase, copy,
// run a computation there, count or list what it holds. A
// Transport delivers it and returns the Reply. Requests are built only with
// the named constructors below, one per operation, so that each operation
// fills exactly the fields it needs.
#pragma once

#include "fedpp/io/bytes.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/transfer_log.hpp"
#include "fedpp/transport/value_type.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp {

using ObjectId = std::uint64_t;
using WorkerId = std::uint32_t;

/// The model owner (the program itself) is endpoint 0; workers are 1, 2, ...
inline constexpr WorkerId model_owner_id = 0;

/// What a worker holds, for inspection by tests and tools.
struct ObjectInfo {
    ObjectId id;
    std::string type; ///< Codec type name
};

/// Bytes somebody else keeps alive, viewed: what a request carries. It
/// binds to a Bytes the caller holds, never to a temporary one
/// (`Request::store(..., to_bytes(x))` does not compile: it would dangle).
class BorrowedBytes {
public:
    BorrowedBytes() noexcept = default;
    BorrowedBytes(const Bytes& bytes) noexcept : view_(bytes) {} // NOLINT: implicit, like a span
    BorrowedBytes(Bytes&&) = delete;
    operator std::span<const std::byte>() const noexcept { return view_; } // NOLINT: implicit, like a span
    [[nodiscard]] std::size_t size() const noexcept { return view_.size(); }

private:
    std::span<const std::byte> view_;
};

/// A value a store request encodes while it is sent, for transports that
/// stream (Transport::encodes_while_sending): no buffer of its whole
/// encoding is made. `write` writes what to_bytes would return, `size`
/// bytes of it; it refers to a callable that must outlive the request (name
/// the lambda: a temporary one would be gone when it is called).
struct ValueEncoding {
    std::size_t size = 0;
    detail::FunctionRef<void(ByteWriter& out)> write;

    /// The whole encoding, for a transport that does not stream.
    [[nodiscard]] Bytes bytes() const {
        Bytes encoded;
        encoded.reserve(size);
        ByteWriter out(encoded);
        write(out);
        return encoded;
    }
};

/// An object a request names, and the type it must hold.
struct ObjectRef {
    ObjectId id = 0;
    const ValueType* type = nullptr;
};

enum class Operation : std::uint8_t { store, fetch, erase, copy, forward, execute, count, list, find, forward_into };

/// One request to worker `to`. Read its fields; build it with a named
/// constructor.
struct Request {
    Operation operation = Operation::count;
    WorkerId from = model_owner_id;  ///< who asks (the model owner or a worker)
    WorkerId to = model_owner_id;    ///< the worker that handles the request
    ObjectId object = 0;             ///< fetch, erase, copy, forward, forward_into
    std::string_view tag;            ///< find: the tag the worker published its data under
    WorkerId destination = 0;        ///< forward, forward_into: where the object goes
    /// store: how to decode; fetch, copy, forward, forward_into: the expected type
    const ValueType* type = nullptr;
    /// store: the value's bytes; execute, forward_into: the by-value arguments. Owned by
    /// the sender for the duration of the (synchronous) call, so that one
    /// encoding can be sent to many workers.
    BorrowedBytes payload;
    /// store, to a transport that encodes while it sends, instead of
    /// `payload`: the value to encode (the sender's, for the call).
    const ValueEncoding* encoding = nullptr;
    TransferKind fetch_kind = TransferKind::get; ///< fetch: get or declassify (for the log)
    std::string_view reason;                    ///< declassify: why (a literal: see fedpp::declassify)
    const Computation* computation = nullptr;   ///< execute, forward_into: what to run ...
    std::span<const ObjectRef> inputs;          ///< ... on which objects (in the caller's frame)

    /// A value of `type`, encoded in `payload`, sent by `from` to worker `to`.
    static Request store(WorkerId from, WorkerId to, const ValueType& type, const Bytes& payload) noexcept {
        Request r(Operation::store, to);
        r.from = from;
        r.type = &type;
        r.payload = payload;
        return r;
    }
    static Request store(WorkerId, WorkerId, const ValueType&, Bytes&&) = delete; // the bytes would dangle

    /// The same, with the value encoded while it is sent: only for a
    /// transport whose encodes_while_sending() is true.
    static Request store(WorkerId from, WorkerId to, const ValueType& type, const ValueEncoding& encoding) noexcept {
        Request r(Operation::store, to);
        r.from = from;
        r.type = &type;
        r.encoding = &encoding;
        return r;
    }
    static Request store(WorkerId, WorkerId, const ValueType&, ValueEncoding&&) = delete; // it would dangle

    /// The size of the value a store request sends, however it is given.
    [[nodiscard]] std::size_t value_size() const noexcept {
        return encoding != nullptr ? encoding->size : payload.size();
    }

    /// Object `object` of `type` back to the model owner, deleted at the worker.
    static Request fetch(WorkerId to, ObjectId object, const ValueType& type, TransferKind kind,
                         std::string_view reason = {}) noexcept {
        Request r(Operation::fetch, to);
        r.object = object;
        r.type = &type;
        r.fetch_kind = kind;
        r.reason = reason;
        return r;
    }

    static Request erase(WorkerId to, ObjectId object) noexcept {
        Request r(Operation::erase, to);
        r.object = object;
        return r;
    }

    /// A second object with the value of `object`, at the same worker.
    static Request copy(WorkerId to, ObjectId object, const ValueType& type) noexcept {
        Request r(Operation::copy, to);
        r.object = object;
        r.type = &type;
        return r;
    }

    /// Object `object` from worker `to` straight to worker `destination`.
    static Request forward(WorkerId to, ObjectId object, const ValueType& type, WorkerId destination) noexcept {
        Request r(Operation::forward, to);
        r.object = object;
        r.type = &type;
        r.destination = destination;
        return r;
    }

    /// Object `object` from worker `to` straight into `computation` at worker
    /// `destination`: its value is the computation's last input there,
    /// after the objects `inputs` of `destination`, and is never stored
    /// there. `computation` must be one of fedpp's aggregations (it may take
    /// what a data owner sends a trusted worker); what a streaming
    /// aggregator does with an update as it arrives (fedpp::accumulate).
    static Request forward_into(WorkerId to, ObjectId object, const ValueType& type, WorkerId destination,
                                const Computation& computation, std::span<const ObjectRef> inputs,
                                const Bytes& arguments) noexcept {
        Request r(Operation::forward_into, to);
        r.object = object;
        r.type = &type;
        r.destination = destination;
        r.computation = &computation;
        r.inputs = inputs;
        r.payload = arguments;
        return r;
    }
    static Request forward_into(WorkerId, ObjectId, const ValueType&, WorkerId, const Computation&,
                                std::span<const ObjectRef>, Bytes&&) = delete; // the bytes would dangle

    /// `computation` on objects `inputs`, with the encoded by-value
    /// `arguments`.
    static Request execute(WorkerId to, const Computation& computation, std::span<const ObjectRef> inputs,
                           const Bytes& arguments) noexcept {
        Request r(Operation::execute, to);
        r.computation = &computation;
        r.inputs = inputs;
        r.payload = arguments;
        return r;
    }
    static Request execute(WorkerId, const Computation&, std::span<const ObjectRef>, Bytes&&) = delete;

    /// The data worker `to` published under `tag`, a value of `type`: a
    /// reference to it, which computations may use (it is never read,
    /// moved or deleted through it).
    static Request find(WorkerId to, std::string_view tag, const ValueType& type) noexcept {
        Request r(Operation::find, to);
        r.tag = tag;
        r.type = &type;
        return r;
    }

    static Request count(WorkerId to) noexcept { return Request(Operation::count, to); }
    static Request list(WorkerId to) noexcept { return Request(Operation::list, to); }

private:
    Request(Operation op, WorkerId worker) noexcept : operation(op), to(worker) {}
};

struct Reply {
    ObjectId object = 0;             ///< store, copy, forward, execute, forward_into, find: the object (0 if none)
    Bytes payload;                   ///< fetch: the value's bytes
    std::size_t moved_bytes = 0;     ///< forward, forward_into: the bytes that crossed
    std::size_t count = 0;           ///< count
    std::vector<ObjectInfo> objects; ///< list
    /// forward_into: the computation's failure once the value had crossed
    /// (it is gone from its worker then, as after a forward), which the
    /// seam logs as a move before the caller rethrows it; null otherwise.
    std::exception_ptr refused;
};

} // namespace fedpp
