// libFuzzer target: data::load_digits (gzip + CSV). Any input must load or
// throw fedpp::DataFormatError; anything else is a finding. See
// memory_file.hpp for how the first byte chooses between raw gzip input and
// input gzipped here (to reach the CSV parser behind gzip's checksum).
#include "memory_file.hpp"

#include <fedpp/loaders.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto file = fuzzing::file_for(std::span(data, size));
    const fuzzing::MemoryFile memory(file);
    try {
        const auto digits = fedpp::data::load_digits<float>(memory.path());
        (void)digits.size();
    } catch (const fedpp::DataFormatError&) {
    }
    return 0;
}
