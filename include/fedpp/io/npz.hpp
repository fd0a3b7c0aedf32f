// fedpp::io: models in and out as NumPy .npz archives, which numpy.load
// reads (and numpy.savez / numpy.savez_compressed write):
//
//     fedpp::io::save_npz("model.npz", model);
//     fedpp::io::load_npz("model.npz", model);  // in place
//
//     # Python
//     state = {k: torch.from_numpy(v) for k, v in numpy.load("model.npz").items()}
//     torch_model.load_state_dict(state)
//
// An .npz is a zip file (zip_reader.hpp, zip_writer.hpp) with one member
// "<name>.npy" per array (npy.hpp). Names and shapes are PyTorch's
// (state_dict.hpp). fedpp writes stored (uncompressed) members; it reads
// stored and deflated ones. Reading throws the zip errors (positions in
// the file) and the .npy errors (positions in the member), ZipError for a
// member whose name does not end in ".npy", and StateDictMismatchError
// when the arrays do not fit the model, which is then unchanged.
#pragma once

#include "fedpp/io/array.hpp"
#include "fedpp/io/errors.hpp"
#include "fedpp/io/file.hpp"
#include "fedpp/io/npy.hpp"
#include "fedpp/io/state_dict.hpp"
#include "fedpp/io/zip_reader.hpp"
#include "fedpp/io/zip_writer.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp::io {

/// The bytes of an .npz archive holding `arrays`, in order, as members
/// "<name>.npy"; deflated if `compress` (what numpy.savez_compressed
/// writes), stored otherwise.
[[nodiscard]] inline Bytes npz_bytes(const std::vector<ArrayRecord>& arrays, bool compress = false) {
    detail::ZipWriter zip;
    for (const auto& array : arrays) {
        zip.add(array.name + ".npy", detail::npy_bytes(array), compress);
    }
    return std::move(zip).finish();
}

/// The arrays of the .npz archive `file` (its bytes), in member order;
/// `where` names it in messages.
[[nodiscard]] inline std::vector<ArrayRecord> read_npz(std::span<const std::byte> file, const std::string& where) {
    constexpr std::string_view suffix = ".npy";
    std::vector<ArrayRecord> arrays;
    for (auto& member : detail::read_zip(file, where)) {
        const std::string_view name = member.name;
        if (name.size() < suffix.size() || name.substr(name.size() - suffix.size()) != suffix) {
            throw ZipError(where, static_cast<std::size_t>(member.record_at),
                           "member '" + member.name + "' is not a .npy array (npz members are <name>.npy)");
        }
        arrays.push_back(detail::read_npy(member.contents, std::string(name.substr(0, name.size() - suffix.size())),
                                          where + ": member '" + member.name + "'"));
    }
    return arrays;
}

/// The bytes of an .npz archive holding `model`'s parameters.
template <NamedModel M>
[[nodiscard]] Bytes npz_to_bytes(const M& model, bool compress = false) {
    return npz_bytes(to_arrays(model), compress);
}

/// Saves `model`'s parameters to `path` (atomically: see file.hpp).
template <NamedModel M>
void save_npz(const std::string& path, const M& model, bool compress = false) {
    detail::write_file_atomically(path, npz_to_bytes(model, compress));
}

/// Loads the .npz archive `bytes` into `model` in place; `where` names it
/// in messages. Throws the errors of the file comment.
template <NamedModel M>
void load_npz_bytes(std::span<const std::byte> bytes, M& model, const std::string& where, LoadOptions options = {}) {
    load_arrays(model, read_npz(bytes, where), where, options);
}

/// Loads the .npz archive at `path` into `model` in place;
/// WeightsIoError if it cannot be read.
template <NamedModel M>
void load_npz(const std::string& path, M& model, LoadOptions options = {}) {
    load_npz_bytes(detail::read_file(path), model, path, options);
}

} // namespace fedpp::io
