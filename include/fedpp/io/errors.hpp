// fedpp::io: the exceptions of the weights-file readers and writers
// (safetensors and .npz).
//
//     WeightsFileError                  any of the below
//       WeightsIoError                  the file cannot be opened, read, written or renamed
//       FormatError                     the bytes are not a valid file; position() is the byte
//         TruncatedError                the file ends before something it announces (a header
//                                       length beyond the file, a cut record)
//         HeaderError                   bad JSON, or a header of the wrong structure (a missing
//                                       or mistyped field, a duplicate name, a bad .npy header,
//                                       fortran_order True)
//         UnsupportedDtypeError         an element type other than float32 and float64
//         OffsetError                   data offsets out of range, reversed, overlapping or
//                                       leaving holes
//         SizeMismatchError             a shape whose element count does not match its bytes
//         ZipError                      a bad zip structure (.npz): no end record, a directory
//                                       or member out of range, an unsupported method
//         ChecksumError                 a zip member whose CRC-32 does not match its bytes
//       StateDictMismatchError          a valid file whose arrays do not fit the model: every
//                                       missing, unexpected, mistyped or misshaped name
#pragma once

#include "fedpp/base/errors.hpp"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::io {

class WeightsFileError : public Error {
public:
    using Error::Error;
};

class WeightsIoError : public WeightsFileError {
public:
    using WeightsFileError::WeightsFileError;
};

/// A value that the model's element type cannot hold (LoadOptions::
/// convert_dtype: a finite float64 beyond float's range). The message names
/// the file, the array and the value.
class ValueRangeError : public WeightsFileError {
public:
    using WeightsFileError::WeightsFileError;
};

/// A malformed file. The message is "<where>: byte <position>: <what>",
/// where <where> names the file (and, inside an .npz, the member; positions
/// in a member count from the member's first uncompressed byte).
class FormatError : public WeightsFileError {
public:
    FormatError(const std::string& where, std::size_t position, const std::string& what)
        : WeightsFileError(where + ": byte " + std::to_string(position) + ": " + what), position_(position) {}

    [[nodiscard]] std::size_t position() const noexcept { return position_; }

private:
    std::size_t position_;
};

class TruncatedError : public FormatError {
public:
    using FormatError::FormatError;
};
class HeaderError : public FormatError {
public:
    using FormatError::FormatError;
};
class UnsupportedDtypeError : public FormatError {
public:
    using FormatError::FormatError;
};
class OffsetError : public FormatError {
public:
    using FormatError::FormatError;
};
class SizeMismatchError : public FormatError {
public:
    using FormatError::FormatError;
};
class ZipError : public FormatError {
public:
    using FormatError::FormatError;
};
class ChecksumError : public FormatError {
public:
    using FormatError::FormatError;
};

/// One way in which a file's arrays differ from a model's parameters.
struct Mismatch {
    enum class Kind {
        missing,    ///< the model has the name, the file does not
        unexpected, ///< the file has the name, the model does not
        dtype,      ///< both have it, with different element types
        shape,      ///< both have it, with different shapes
    };
    Kind kind;
    std::string name;
    std::string in_model; ///< the model's dtype or shape ("" for unexpected)
    std::string in_file;  ///< the file's dtype or shape ("" for missing)
};

namespace detail {
inline std::string describe(const Mismatch& m) {
    switch (m.kind) {
    case Mismatch::Kind::missing:
        return "'" + m.name + "' (" + m.in_model + ") is in the model but not in the file";
    case Mismatch::Kind::unexpected:
        return "'" + m.name + "' (" + m.in_file + ") is in the file but not in the model";
    case Mismatch::Kind::dtype:
        return "'" + m.name + "' is " + m.in_file + " in the file but " + m.in_model + " in the model";
    case Mismatch::Kind::shape:
        return "'" + m.name + "' has shape " + m.in_file + " in the file but " + m.in_model + " in the model";
    }
    return "'" + m.name + "'";
}

inline std::string describe_all(const std::string& file, const std::vector<Mismatch>& mismatches) {
    std::string text = file + ": the file does not fit the model (" + std::to_string(mismatches.size()) +
                       (mismatches.size() == 1 ? " mismatch" : " mismatches") + "; nothing was loaded)";
    for (const auto& m : mismatches) {
        text += "\n  " + describe(m);
    }
    return text;
}
} // namespace detail

/// A well-formed file that does not fit the model. mismatches() lists every
/// difference, in the model's parameter order and then the file's extra
/// names; the message lists them too, one per line. The model is unchanged.
class StateDictMismatchError : public WeightsFileError {
public:
    StateDictMismatchError(const std::string& file, std::vector<Mismatch> mismatches)
        : WeightsFileError(detail::describe_all(file, mismatches)), mismatches_(std::move(mismatches)) {}

    [[nodiscard]] const std::vector<Mismatch>& mismatches() const noexcept { return mismatches_; }

private:
    std::vector<Mismatch> mismatches_;
};

} // namespace fedpp::io
