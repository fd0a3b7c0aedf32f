// fedpp: the state of a federated run, what a checkpoint holds.
#pragma once

#include "fedpp/io/codec.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace fedpp::federated {

/// The part of a run that a checkpoint must hold to resume it exactly.
template <class M>
struct TrainingState {
    std::size_t rounds_done = 0;
    std::uint64_t seed = 0;
    M global_model;
};

} // namespace fedpp::federated

namespace fedpp {
template <class M>
struct Codec<federated::TrainingState<M>> {
    static std::string type_name() { return "fedpp::federated::TrainingState<" + Codec<M>::type_name() + ">"; }
    static void encode(const federated::TrainingState<M>& state, ByteWriter& out) {
        out.write<std::uint64_t>(state.rounds_done);
        out.write<std::uint64_t>(state.seed);
        Codec<M>::encode(state.global_model, out);
    }
    static federated::TrainingState<M> decode(ByteReader& in) {
        const auto rounds = in.read<std::uint64_t>();
        const auto seed = in.read<std::uint64_t>();
        return {static_cast<std::size_t>(rounds), seed, Codec<M>::decode(in)};
    }
};
} // namespace fedpp
