// fedpp: the typed errors of checkpoints (fedpp/io/checkpoint.hpp).
#pragma once

#include "fedpp/base/errors.hpp"

namespace fedpp {

class CheckpointError : public Error {
public:
    using Error::Error;
};
/// The file cannot be opened, read, written or renamed, or is not a regular
/// file (a directory, a device, a pipe).
class CheckpointIoError : public CheckpointError {
public:
    using CheckpointError::CheckpointError;
};
/// Not a fedpp checkpoint, or truncated, or longer than it says, or the
/// temporary file of a save that did not finish; or a training state no
/// run can continue from (a NaN or an infinity in its global model).
class CheckpointFormatError : public CheckpointError {
public:
    using CheckpointError::CheckpointError;
};
/// Written by a format version this fedpp does not read.
class CheckpointVersionError : public CheckpointError {
public:
    using CheckpointError::CheckpointError;
};
/// The bytes changed since they were written.
class CheckpointChecksumError : public CheckpointError {
public:
    using CheckpointError::CheckpointError;
};
/// A checkpoint of another type than the one asked for.
class CheckpointTypeError : public CheckpointError {
public:
    using CheckpointError::CheckpointError;
};
/// A model checkpoint whose layout differs from the model loaded into.
class CheckpointShapeError : public CheckpointError {
public:
    using CheckpointError::CheckpointError;
};
/// A checkpoint of a run whose set-up differs from the run resuming it
/// (another seed, client fraction, local training, aggregation, client
/// count or client sizes), or that has done more rounds than the run is to
/// do: resuming would not end as the run that saved it would have. The
/// message names the field.
class CheckpointMismatchError : public CheckpointError {
public:
    using CheckpointError::CheckpointError;
};

} // namespace fedpp
