// fedpp: the exception types the library throws.
//
// Every failure that depends on run-time values (shapes, pointer state,
// corrupt bytes, bad weights) is reported with one of these typed exceptions
// and a message that says what was wrong and what to do about it. Rules that
// can be decided from types alone are compile errors instead (see
// location.hpp and pointer.hpp).
#pragma once

#include <stdexcept>
#include <string>

namespace fedpp {

/// Base class of every exception thrown by fedpp.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Operands whose shapes do not fit the operation (matmul inner sizes,
/// broadcasting, a model whose layers differ from another's, ...).
class ShapeError : public Error {
public:
    using Error::Error;
};

/// Misuse of the autograd machinery: backward() on a value that does not
/// require a gradient, reading a gradient that was never computed, ...
class AutogradError : public Error {
public:
    using Error::Error;
};

/// A Pointer was used after get(), move(), declassify() or a C++ move
/// emptied it.
class InvalidPointerError : public Error {
public:
    using Error::Error;
};

/// Values at two different workers of the same location type were combined.
/// (Different location *types* are rejected at compile time.)
class LocationError : public Error {
public:
    using Error::Error;
};

/// A worker was asked for an object it does not hold, or holds with another
/// type, or the worker itself is gone.
class RemoteObjectError : public Error {
public:
    using Error::Error;
};

/// Bytes that do not decode to the expected value: wrong type tag, truncated
/// payload, trailing garbage.
class SerializationError : public Error {
public:
    using Error::Error;
};

/// Invalid input to an aggregation such as fedavg: no models, zero or
/// negative total weight, non-finite parameters.
class AggregationError : public Error {
public:
    using Error::Error;
};

/// An aggregate that would combine fewer data owners' contributions (with a
/// positive weight) than its trusted location requires: releasing it would
/// release one data owner's values, or almost.
class InsufficientContributionsError : public AggregationError {
public:
    using AggregationError::AggregationError;
};

/// A computation run at a worker threw an exception that is not one of
/// fedpp's: what() is the computation's own message. (Over a network, a data
/// owner's policy may withhold it.)
class ComputationError : public Error {
public:
    using Error::Error;
};

/// A request that a party's own policy refuses (over a network: gRPC's
/// PERMISSION_DENIED): reading a data owner's model, sending its values to
/// anyone but a trusted aggregator, running a computation it does not have,
/// touching another party's objects, ...
class PermissionDeniedError : public Error {
public:
    using Error::Error;
};

/// A party could not be reached, or did not answer in time: the message
/// names the peer and the operation.
class NetworkError : public Error {
public:
    using Error::Error;
};

/// A data file that cannot be read as what it claims to be: missing or
/// unreadable, not gzip or a corrupt gzip stream, truncated, a wrong magic
/// number or dimensions, a malformed or out-of-range value. The message names
/// the file and the position (line and field of a CSV file, byte offset of a
/// binary one).
class DataFormatError : public Error {
public:
    using Error::Error;
};

/// A file that could not be written (or read) through: a full disk, a
/// file-size limit, an I/O error. The message names the file and the
/// reason. (Checkpoints have their own CheckpointIoError.)
class IoError : public Error {
public:
    using Error::Error;
};

/// An invalid argument that is not a shape problem (a negative learning
/// rate, a label out of range, ...).
class ArgumentError : public Error {
public:
    using Error::Error;
};

} // namespace fedpp
