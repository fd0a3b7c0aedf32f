// Helpers for the malformed-file tests (test_io_safetensors_malformed.cpp,
// test_io_npz_malformed.cpp): the typed exception an action throws, and
// loading a file after every single-byte change.
#pragma once

#include "io_support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <typeinfo>

namespace io_test {

/// The exception of type E that `action` throws; the test fails if it
/// throws nothing or something else.
template <class E, class Action>
E thrown(Action&& action) {
    try {
        action();
    } catch (const E& e) {
        return e;
    } catch (const std::exception& e) {
        FAIL("expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what());
    }
    FAIL("expected " << typeid(E).name() << ", nothing was thrown");
    throw std::logic_error("unreachable");
}

/// Loads `file` (safetensors if `npz` is false) into a small model after
/// every single-byte change to each of a few values: no crash, and only
/// fedpp::io errors.
inline void corrupt_every_byte(const fedpp::Bytes& good, bool npz) {
    auto model = small_model(1);
    for (std::size_t at = 0; at < good.size(); ++at) {
        for (const unsigned value : {0x00u, 0xFFu, 0x01u, unsigned('"'), unsigned('9'), unsigned('{')}) {
            fedpp::Bytes bad = good;
            bad[at] = static_cast<std::byte>(value);
            try {
                npz ? fedpp::io::load_npz_bytes(bad, model, "bad")
                    : fedpp::io::load_safetensors_bytes(bad, model, "bad");
            } catch (const fedpp::io::WeightsFileError&) {
            }
        }
    }
}

} // namespace io_test
