// fedpp: byte encodings of fedpp's own types (tensors, layers, models, data
// sets), so they can be sent to workers, moved and fetched back.
#pragma once

#include "fedpp/data/dataset.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/nn/linear.hpp"
#include "fedpp/nn/sequential.hpp"
#include "fedpp/tensor/tensor.hpp"
#include "fedpp/training/local_training.hpp"

#include <cstdint>
#include <string>
#include <variant>

namespace fedpp {

namespace detail {

/// rows (u64), cols (u64), then rows * cols values, row-major.
template <class T>
void encode_matrix(const Matrix<T>& m, ByteWriter& out) {
    out.write<std::uint64_t>(static_cast<std::uint64_t>(m.rows()));
    out.write<std::uint64_t>(static_cast<std::uint64_t>(m.cols()));
    out.write_array(m.data(), static_cast<std::size_t>(m.size()));
}

/// Each size must fit Index (whatever the other is: 2^63 x 0 is refused
/// too), and their product must be bounded by the bytes present.
template <class T>
Matrix<T> decode_matrix(ByteReader& in) {
    static_assert(sizeof(Index) == sizeof(std::ptrdiff_t), "ByteReader::read_size bounds sizes by ptrdiff_t");
    const std::size_t at = in.position();
    const std::size_t rows = in.read_size("a matrix's rows");
    const std::size_t cols = in.read_size("a matrix's cols");
    const std::size_t limit = in.remaining() / sizeof(T);
    if (cols != 0 && rows > limit / cols) {
        in.fail("a " + std::to_string(rows) + "x" + std::to_string(cols) + " matrix needs more bytes than the " +
                    std::to_string(in.remaining()) + " that remain",
                at);
    }
    Matrix<T> m(static_cast<Index>(rows), static_cast<Index>(cols));
    in.read_array(m.data(), static_cast<std::size_t>(m.size()));
    return m;
}

} // namespace detail

template <class T>
struct Codec<Tensor<T>> {
    static std::string type_name() { return "fedpp::Tensor<" + Codec<T>::type_name() + ">"; }
    static void encode(const Tensor<T>& tensor, ByteWriter& out) {
        out.write(tensor.requires_grad());
        detail::encode_matrix(tensor.value(), out);
    }
    static Tensor<T> decode(ByteReader& in) {
        const bool requires_grad = in.read<bool>();
        return Tensor<T>(detail::decode_matrix<T>(in), requires_grad);
    }
};

template <class T>
struct Codec<nn::Linear<T>> {
    static std::string type_name() { return "fedpp::nn::Linear<" + Codec<T>::type_name() + ">"; }
    static void encode(const nn::Linear<T>& layer, ByteWriter& out) {
        detail::encode_matrix(layer.weight().value(), out);
        detail::encode_matrix(layer.bias().value(), out);
    }
    static nn::Linear<T> decode(ByteReader& in) {
        const std::size_t at = in.position();
        auto weight = detail::decode_matrix<T>(in);
        auto bias = detail::decode_matrix<T>(in);
        try {
            return nn::Linear<T>(std::move(weight), std::move(bias));
        } catch (const ShapeError& e) {
            in.fail(std::string("not a valid Linear layer: ") + e.what(), at);
        }
    }
};

template <class T>
struct Codec<nn::Sequential<T>> {
    static std::string type_name() { return "fedpp::nn::Sequential<" + Codec<T>::type_name() + ">"; }
    static void encode(const nn::Sequential<T>& model, ByteWriter& out) {
        out.write<std::uint64_t>(model.size());
        for (const auto& layer : model) {
            out.write<std::uint8_t>(static_cast<std::uint8_t>(layer.index()));
            if (const auto* fc = std::get_if<nn::Linear<T>>(&layer)) {
                Codec<nn::Linear<T>>::encode(*fc, out);
            }
        }
    }
    static nn::Sequential<T> decode(ByteReader& in) {
        nn::Sequential<T> model;
        const std::size_t count = in.read_count(1, "the layer count");
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t at = in.position();
            switch (in.read<std::uint8_t>()) {
            case 0: model.push_back(Codec<nn::Linear<T>>::decode(in)); break;
            case 1: model.push_back(nn::ReLU{}); break;
            case 2: model.push_back(nn::Sigmoid{}); break;
            case 3: model.push_back(nn::Tanh{}); break;
            default: in.fail("unknown layer kind for layer " + std::to_string(i), at);
            }
        }
        return model;
    }
    static_assert(std::variant_size_v<typename nn::Sequential<T>::Layer> == 4,
                  "fedpp: a layer kind was added to nn::Sequential; give it a case in Codec<Sequential>");
};

template <class T>
struct Codec<data::Dataset<T>> {
    static std::string type_name() { return "fedpp::data::Dataset<" + Codec<T>::type_name() + ">"; }
    static void encode(const data::Dataset<T>& set, ByteWriter& out) {
        out.write<std::int32_t>(set.class_count());
        detail::encode_matrix(set.features(), out);
        Codec<std::vector<std::int32_t>>::encode(set.labels(), out);
    }
    static data::Dataset<T> decode(ByteReader& in) {
        const std::size_t at = in.position();
        const auto classes = in.read<std::int32_t>();
        auto features = detail::decode_matrix<T>(in);
        auto labels = Codec<std::vector<std::int32_t>>::decode(in);
        try {
            return data::Dataset<T>(std::move(features), std::move(labels), classes);
        } catch (const Error& e) {
            in.fail(std::string("not a valid data set: ") + e.what(), at);
        }
    }
};

template <>
struct Codec<training::LocalTraining> {
    static std::string type_name() { return "fedpp::training::LocalTraining"; }
    static void encode(const training::LocalTraining& local, ByteWriter& out) {
        out.write<std::uint64_t>(local.epochs);
        out.write<std::uint64_t>(local.batch_size);
        out.write(local.learning_rate);
        out.write(local.momentum);
        out.write(local.weight_decay);
    }
    static training::LocalTraining decode(ByteReader& in) {
        const std::size_t at = in.position();
        training::LocalTraining local;
        local.epochs = static_cast<std::size_t>(in.read<std::uint64_t>());
        local.batch_size = static_cast<std::size_t>(in.read<std::uint64_t>());
        local.learning_rate = in.read<double>();
        local.momentum = in.read<double>();
        local.weight_decay = in.read<double>();
        try {
            local.validate();
        } catch (const ArgumentError& e) {
            in.fail(std::string("not valid local training settings: ") + e.what(), at);
        }
        return local;
    }
};

} // namespace fedpp
