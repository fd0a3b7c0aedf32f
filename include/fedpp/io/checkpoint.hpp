// fedpp: checkpoints, files that survive crashes.
//
//     fedpp::save_checkpoint("run.ckpt", run.state());
//     run.restore(fedpp::load_checkpoint<federated::TrainingState<Model>>("run.ckpt"));
//
// Any Serializable value can be saved. The file is
//
//     offset  size  field
//     0       8     magic "FEDPPCKP"
//     8       4     format version (little-endian u32), currently 1
//     12      8     payload size in bytes (u64)
//     20      n     payload: the value's bytes as fedpp::to_bytes writes them
//                   (its type name, then its encoding)
//     20+n    4     CRC-32 (zlib's) of bytes [0, 20+n)
//
// Writes are atomic: the bytes go to "<path>.tmp" (a stale one, left by a
// killed writer, is removed first), are flushed and fsync'ed, and the file is
// renamed over <path> (then the directory is fsync'ed), so a crash at any
// moment leaves either the previous checkpoint or the new one, never a
// mixture. Until its last write the temporary file starts with the magic
// "FEDPPTMP" instead: a reader handed it says it is an unfinished save, not a
// checkpoint. One writer per path at a time.
//
// Reading checks everything before decoding and throws a typed error:
// CheckpointIoError (cannot read, or not a regular file), CheckpointFormatError
// (not a checkpoint, an unfinished save, truncated, or bytes after the end),
// CheckpointVersionError, CheckpointChecksumError (bit rot),
// CheckpointTypeError (a checkpoint of another type), CheckpointShapeError
// (load_parameters_checkpoint into a model of another layout). Never
// undefined behaviour.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/checkpoint_errors.hpp"
#include "fedpp/io/checkpoint_file.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/nn/module.hpp"

#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace fedpp {

inline constexpr std::uint32_t checkpoint_format_version = 1;

namespace detail {

inline constexpr std::array<char, 8> checkpoint_magic{'F', 'E', 'D', 'P', 'P', 'C', 'K', 'P'};
/// What a checkpoint file starts with while it is being written.
inline constexpr std::array<char, 8> unfinished_checkpoint_magic{'F', 'E', 'D', 'P', 'P', 'T', 'M', 'P'};
inline constexpr std::size_t checkpoint_header_size = 8 + 4 + 8;
inline constexpr std::size_t checkpoint_trailer_size = 4;

inline std::uint32_t crc32_of(std::span<const std::byte> bytes) {
    uLong crc = crc32(0L, Z_NULL, 0);
    // zlib takes uInt lengths: feed it in chunks.
    constexpr std::size_t chunk = 1u << 30;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        const std::size_t n = std::min(chunk, bytes.size() - at);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), static_cast<uInt>(n));
    }
    return static_cast<std::uint32_t>(crc);
}

/// The whole checkpoint file for `payload` (header, payload, CRC).
inline Bytes checkpoint_file_bytes(std::span<const std::byte> payload) {
    Bytes file;
    file.reserve(checkpoint_header_size + payload.size() + checkpoint_trailer_size);
    ByteWriter out(file);
    out.write_bytes(std::as_bytes(std::span(checkpoint_magic)));
    out.write<std::uint32_t>(checkpoint_format_version);
    out.write<std::uint64_t>(payload.size());
    out.write_bytes(payload);
    out.write<std::uint32_t>(crc32_of(file));
    return file;
}

/// Checks a checkpoint file's framing and checksum; returns its payload.
inline std::span<const std::byte> checkpoint_payload(std::span<const std::byte> file, const std::string& path) {
    const auto name = "checkpoint '" + path + "'";
    if (file.size() >= unfinished_checkpoint_magic.size() &&
        std::memcmp(file.data(), unfinished_checkpoint_magic.data(), unfinished_checkpoint_magic.size()) == 0) {
        const bool temporary = path.size() > 4 && path.ends_with(".tmp");
        throw CheckpointFormatError(
            name + ": the temporary file of a save that did not finish (its writer stopped before renaming it over "
                   "the checkpoint); it is not a checkpoint" +
            (temporary ? ": load '" + path.substr(0, path.size() - 4) + "'" : std::string()));
    }
    if (file.size() < checkpoint_magic.size() ||
        std::memcmp(file.data(), checkpoint_magic.data(), checkpoint_magic.size()) != 0) {
        throw CheckpointFormatError(name + ": not a fedpp checkpoint (no FEDPPCKP magic at byte 0)");
    }
    if (file.size() < checkpoint_header_size + checkpoint_trailer_size) {
        throw CheckpointFormatError(name + ": truncated: " + std::to_string(file.size()) +
                                    " bytes, shorter than a header");
    }
    ByteReader header(file.subspan(checkpoint_magic.size(), 12), name);
    const auto version = header.read<std::uint32_t>();
    const auto size = header.read<std::uint64_t>();
    if (version != checkpoint_format_version) {
        throw CheckpointVersionError(name + ": format version " + std::to_string(version) + "; this fedpp reads " +
                                     std::to_string(checkpoint_format_version));
    }
    const std::size_t available = file.size() - checkpoint_header_size - checkpoint_trailer_size;
    if (size > available) {
        throw CheckpointFormatError(name + ": truncated: the header announces " + std::to_string(size) +
                                    " payload bytes, the file holds " + std::to_string(available));
    }
    if (size < available) {
        throw CheckpointFormatError(name + ": " + std::to_string(available - size) +
                                    " unexpected bytes after the payload");
    }
    const std::size_t crc_at = checkpoint_header_size + size;
    ByteReader trailer(file.subspan(crc_at, checkpoint_trailer_size), name);
    const auto stored = trailer.read<std::uint32_t>();
    const auto actual = crc32_of(file.first(crc_at));
    if (stored != actual) {
        throw CheckpointChecksumError(name + ": checksum mismatch (the file was altered or damaged after it was "
                                      "written)");
    }
    return file.subspan(checkpoint_header_size, size);
}

/// The value in a checkpoint payload, as T.
template <Serializable T>
T decode_checkpoint_payload(std::span<const std::byte> payload, const std::string& path) {
    const auto name = "checkpoint '" + path + "'";
    ByteReader probe(payload, name);
    std::string found;
    try {
        found = probe.read_string();
    } catch (const SerializationError& e) {
        throw CheckpointFormatError(e.what());
    }
    if (found != Codec<T>::type_name()) {
        throw CheckpointTypeError(name + ": holds a '" + found + "', not a '" + Codec<T>::type_name() + "'");
    }
    try {
        return from_bytes<T>(payload, name);
    } catch (const SerializationError& e) {
        // Well-framed, right checksum, yet undecodable: written by a buggy or
        // hostile writer.
        throw CheckpointFormatError(e.what());
    }
}

} // namespace detail

/// The bytes of a checkpoint file holding `value` (what save_checkpoint
/// writes), for checkpoints kept elsewhere than in a file.
template <Serializable T>
[[nodiscard]] Bytes checkpoint_to_bytes(const T& value) {
    return detail::checkpoint_file_bytes(to_bytes(value));
}

/// Saves `value` to `path` atomically (see the file comment).
template <Serializable T>
void save_checkpoint(const std::string& path, const T& value) {
    const Bytes file = checkpoint_to_bytes(value);
    detail::write_file_atomically(path, file, std::as_bytes(std::span(detail::unfinished_checkpoint_magic)));
}

/// The value in the bytes of a checkpoint file; `name` names them in error
/// messages. Throws the typed errors of the file comment.
template <Serializable T>
[[nodiscard]] T checkpoint_from_bytes(std::span<const std::byte> file, const std::string& name) {
    return detail::decode_checkpoint_payload<T>(detail::checkpoint_payload(file, name), name);
}

/// Reads a checkpoint saved as T; throws the typed errors of the file
/// comment.
template <Serializable T>
[[nodiscard]] T load_checkpoint(const std::string& path) {
    return checkpoint_from_bytes<T>(detail::read_file_bytes(path), path);
}

/// Loads a model checkpoint into an existing model, keeping its tensors (and
/// any optimiser attached to them). CheckpointShapeError if the saved model's
/// layout differs.
template <nn::Model M>
void load_parameters_checkpoint(const std::string& path, M& model) {
    const M saved = load_checkpoint<M>(path);
    try {
        nn::load_parameters(model, saved);
    } catch (const ShapeError& e) {
        throw CheckpointShapeError("checkpoint '" + path + "': " + e.what());
    }
}

} // namespace fedpp
