// fedpp: Transport, how requests reach workers.
//
// A Federation owns one Transport. Every request to a worker (see
// request.hpp) passes through the federation's seam, which logs the values
// that cross and calls Transport::deliver. The in-process transport gives
// each worker an ObjectStore in this process; a transport that crosses
// processes ships the same requests and replies as bytes (fedpp::grpc).
//
// Writing a transport: implement the three functions below. deliver()
// handles every Operation:
//   store    decode request.payload as *request.type into worker `to`'s
//            store; reply.object is the new object's id. (A transport
//            whose encodes_while_sending() is true gets, from send(), the
//            value to encode in request.encoding instead.)
//   fetch    encode the object into reply.payload and delete it there
//            (a transport across processes may delete it once the value
//            has arrived; a fetch that throws must leave it there, since
//            the caller's pointer stays live to fetch it again)
//   erase    delete it (no error if it is already gone)
//   copy     a second object with the same value; reply.object (a
//            copy, store or execute that throws should leave no object
//            there that the caller does not know of: fedpp::grpc numbers
//            them and asks the party what became of one with no answer)
//   forward  move the object from `to` to `destination` directly (never
//            through the caller), delete it at `to` once it is stored at
//            the destination; reply.object is its id there, and
//            reply.moved_bytes the size of its encoding
//   execute  run request.computation on the objects it names;
//            reply.object is the stored result (0 if none)
//   forward_into  only for a transport whose forwards_into_computations()
//            is true (callers check): run request.computation at
//            `destination` on request.inputs there and, last, the object
//            from `to`, which is never stored at the destination; delete it
//            at `to` once it has crossed. reply.moved_bytes as for forward;
//            a refusal by the computation after the value crossed goes in
//            reply.refused (an exception thrown means nothing crossed)
//   count, list   what the worker holds
// Failures are exceptions derived from fedpp::Error (RemoteObjectError for
// a missing worker or object). ObjectStore (object_store.hpp) implements
// every operation but forward for one worker, for transports that host
// workers in their own process.
#pragma once

#include "fedpp/transport/request.hpp"

#include <string>

namespace fedpp {

class Transport {
public:
    virtual ~Transport() = default;
    /// Creates the endpoint of worker `id`, named `name`. A trusted worker
    /// aggregates: expect many threads to send to it at once.
    virtual void attach(WorkerId id, std::string name, bool trusted) = 0;
    /// Removes worker `id`: later requests to it fail with
    /// RemoteObjectError, except erase, which its pointers still send when
    /// they go.
    virtual void detach(WorkerId id) noexcept = 0;
    /// Handles `request` at worker request.to and returns the reply.
    virtual Reply deliver(const Request& request) = 0;
    /// Whether store requests may carry the value to encode
    /// (request.encoding) rather than its bytes: true for a transport that
    /// streams values, encoding straight into what it sends.
    [[nodiscard]] virtual bool encodes_while_sending() const noexcept { return false; }
    /// Whether deliver() carries out Operation::forward_into; otherwise
    /// callers forward the value and then execute the computation.
    [[nodiscard]] virtual bool forwards_into_computations() const noexcept { return false; }
};

} // namespace fedpp
