// libFuzzer target: the .npz reader (fedpp/io/npz.hpp): zip structures,
// deflate, .npy headers. Any input must either load or throw a
// fedpp::io::WeightsFileError; crashes, hangs, leaks, other exceptions and
// undefined behaviour are findings.
//
// The CRC-32 of each member stops most mutations at the zip layer, so each
// input is also tried as the contents of a stored member (with a correct
// CRC: the .npy parser behind it is explored), and as the deflate data of a
// member (whose sizes and CRC are made right whenever zlib can inflate it).
#include <fedpp/io/npz.hpp>

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace {
using Model = fedpp::nn::Sequential<float>;

/// The seeds' architecture: Linear(3, 4), ReLU, Linear(4, 2).
Model& float_model() {
    static fedpp::Generator generator(1);
    static Model model(fedpp::nn::Linear<float>(3, 4, generator), fedpp::nn::ReLU{},
                       fedpp::nn::Linear<float>(4, 2, generator));
    return model;
}

void try_npz(std::span<const std::byte> file) {
    try {
        (void)fedpp::io::read_npz(file, "fuzz");
    } catch (const fedpp::io::WeightsFileError&) {
    }
    try {
        fedpp::io::load_npz_bytes(file, float_model(), "fuzz", {.convert_dtype = true});
    } catch (const fedpp::io::WeightsFileError&) {
    }
}

/// What zlib itself inflates `data` to (raw deflate, at most 64 KiB), if it can.
std::optional<fedpp::Bytes> zlib_inflate(std::span<const std::byte> data) {
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) {
        return std::nullopt;
    }
    fedpp::Bytes out(1 << 16);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = inflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    inflateEnd(&stream);
    return status == Z_STREAM_END ? std::optional(std::move(out)) : std::nullopt;
}

void put_u32(fedpp::Bytes& bytes, std::size_t at, std::uint32_t value) {
    for (std::size_t i = 0; i < 4; ++i) {
        bytes[at + i] = static_cast<std::byte>(value >> (8 * i));
    }
}

/// A one-member zip whose member data is `data`, marked deflated.
fedpp::Bytes deflated_member(std::span<const std::byte> data) {
    fedpp::io::detail::ZipWriter zip;
    zip.add("0.weight.npy", data);
    fedpp::Bytes file = std::move(zip).finish();
    const auto inflated = zlib_inflate(data);
    const auto size = static_cast<std::uint32_t>(inflated ? inflated->size() : 4 * data.size());
    const std::uint32_t crc = inflated ? fedpp::io::detail::zip_crc32(*inflated) : 0;
    const std::size_t directory = file.size() - 22 - 46 - 12;
    for (const std::size_t header : {std::size_t{0}, directory}) {
        const std::size_t shift = header == 0 ? 0 : 2; // the directory record has "version made by" first
        file[header + shift + 8] = std::byte{8};       // method: deflate
        put_u32(file, header + shift + 14, crc);
        put_u32(file, header + shift + 22, size);
    }
    return file;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto bytes = std::as_bytes(std::span(data, size));
    try_npz(bytes);
    fedpp::io::detail::ZipWriter stored;
    stored.add("0.weight.npy", bytes);
    try_npz(std::move(stored).finish());
    try_npz(deflated_member(bytes));
    return 0;
}
