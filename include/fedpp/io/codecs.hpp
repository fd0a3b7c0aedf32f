// fedpp: byte encodings of fedpp's own types (tensors, layers, models, data
// sets), so they can be sent to workers, moved and fetched back.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/nn/conv2d.hpp"
#include "fedpp/nn/dropout.hpp"
#include "fedpp/nn/linear.hpp"
#include "fedpp/nn/pooling.hpp"
#include "fedpp/nn/sequential.hpp"
#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/tensor.hpp"
#include "fedpp/training/local_training.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
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

/// An extent (u64); fails if it does not fit an Index (the layers check the rest).
inline Index read_extent(ByteReader& in) {
    const std::size_t at = in.position();
    const auto value = in.read<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<Index>::max())) {
        in.fail("the extent " + std::to_string(value) + " is too large", at);
    }
    return static_cast<Index>(value);
}

/// channels, height, width (u64 each).
inline void encode_image_shape(const ImageShape& shape, ByteWriter& out) {
    for (const Index extent : {shape.channels, shape.height, shape.width}) {
        out.write<std::uint64_t>(static_cast<std::uint64_t>(extent));
    }
}
inline ImageShape decode_image_shape(ByteReader& in) {
    const Index channels = read_extent(in);
    const Index height = read_extent(in);
    return {channels, height, read_extent(in)};
}

/// kernel, stride, padding: height and width of each (u64).
inline void encode_window(const Window2d& window, ByteWriter& out) {
    for (const Size2& size : {window.kernel, window.stride, window.padding}) {
        out.write<std::uint64_t>(static_cast<std::uint64_t>(size.height));
        out.write<std::uint64_t>(static_cast<std::uint64_t>(size.width));
    }
}
inline Window2d decode_window(ByteReader& in) {
    const auto size = [&in] {
        const Index height = read_extent(in);
        return Size2(height, read_extent(in));
    };
    const Size2 kernel = size();
    const Size2 stride = size();
    return {kernel, stride, size()};
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

/// The input shape, the window, then weight and bias as matrices.
template <class T>
struct Codec<nn::Conv2d<T>> {
    static std::string type_name() { return "fedpp::nn::Conv2d<" + Codec<T>::type_name() + ">"; }
    static void encode(const nn::Conv2d<T>& layer, ByteWriter& out) {
        detail::encode_image_shape(layer.input_shape(), out);
        detail::encode_window(layer.window(), out);
        detail::encode_matrix(layer.weight().value(), out);
        detail::encode_matrix(layer.bias().value(), out);
    }
    static nn::Conv2d<T> decode(ByteReader& in) {
        const std::size_t at = in.position();
        const ImageShape input = detail::decode_image_shape(in);
        const Window2d window = detail::decode_window(in);
        auto weight = detail::decode_matrix<T>(in);
        auto bias = detail::decode_matrix<T>(in);
        try {
            return nn::Conv2d<T>(input, window.kernel, {window.stride, window.padding}, std::move(weight),
                                 std::move(bias));
        } catch (const Error& e) {
            in.fail(std::string("not a valid Conv2d layer: ") + e.what(), at);
        }
    }
};

/// The input shape, then the window.
template <>
struct Codec<nn::MaxPool2d> {
    static std::string type_name() { return "fedpp::nn::MaxPool2d"; }
    static void encode(const nn::MaxPool2d& layer, ByteWriter& out) {
        detail::encode_image_shape(layer.input_shape(), out);
        detail::encode_window(layer.window(), out);
    }
    static nn::MaxPool2d decode(ByteReader& in) {
        const std::size_t at = in.position();
        const ImageShape input = detail::decode_image_shape(in);
        const Window2d window = detail::decode_window(in);
        try {
            return nn::MaxPool2d(input, window.kernel, window.stride, window.padding);
        } catch (const Error& e) {
            in.fail(std::string("not a valid MaxPool2d layer: ") + e.what(), at);
        }
    }
};

/// p (f64).
template <>
struct Codec<nn::Dropout> {
    static std::string type_name() { return "fedpp::nn::Dropout"; }
    static void encode(const nn::Dropout& layer, ByteWriter& out) { out.write<double>(layer.p()); }
    static nn::Dropout decode(ByteReader& in) {
        const std::size_t at = in.position();
        const auto p = in.read<double>();
        try {
            return nn::Dropout(p);
        } catch (const Error& e) {
            in.fail(std::string("not a valid Dropout layer: ") + e.what(), at);
        }
    }
};

/// The layer count (u64), then per layer its kind (u8, its index in
/// Sequential::Layer) and, for kinds with settings or parameters, their codec.
template <class T>
struct Codec<nn::Sequential<T>> {
    static std::string type_name() { return "fedpp::nn::Sequential<" + Codec<T>::type_name() + ">"; }
    static void encode(const nn::Sequential<T>& model, ByteWriter& out) {
        out.write<std::uint64_t>(model.size());
        for (const auto& layer : model) {
            out.write<std::uint8_t>(static_cast<std::uint8_t>(layer.index()));
            std::visit(
                [&out](const auto& l) {
                    using L = std::decay_t<decltype(l)>;
                    if constexpr (!std::is_empty_v<L>) { // ReLU, Sigmoid, Tanh, Flatten: the kind says it all
                        Codec<L>::encode(l, out);
                    }
                },
                layer);
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
            case 4: model.push_back(Codec<nn::Conv2d<T>>::decode(in)); break;
            case 5: model.push_back(Codec<nn::MaxPool2d>::decode(in)); break;
            case 6: model.push_back(nn::Flatten{}); break;
            case 7: model.push_back(Codec<nn::Dropout>::decode(in)); break;
            default: in.fail("unknown layer kind for layer " + std::to_string(i), at);
            }
        }
        return model;
    }
    static_assert(std::variant_size_v<typename nn::Sequential<T>::Layer> == 8,
                  "fedpp: a layer kind was added to nn::Sequential; give it a case in Codec<Sequential>");
};

template <class T>
struct Codec<data::Dataset<T>> {
    static std::string type_name() { return "fedpp::data::Dataset<" + Codec<T>::type_name() + ">"; }
    static void encode(const data::Dataset<T>& set, ByteWriter& out) {
        out.write<std::int32_t>(set.class_count());
        detail::encode_matrix(set.features(), out);
        Codec<std::vector<std::int32_t>>::encode(set.labels(), out);
        out.write(set.has_image_shape());
        if (set.has_image_shape()) {
            detail::encode_image_shape(set.image_shape(), out);
        }
    }
    static data::Dataset<T> decode(ByteReader& in) {
        const std::size_t at = in.position();
        const auto classes = in.read<std::int32_t>();
        auto features = detail::decode_matrix<T>(in);
        auto labels = Codec<std::vector<std::int32_t>>::decode(in);
        auto set = [&] {
            try {
                return data::Dataset<T>(std::move(features), std::move(labels), classes);
            } catch (const Error& e) {
                in.fail(std::string("not a valid data set: ") + e.what(), at);
            }
        }();
        if (in.read<bool>()) {
            const std::size_t shape_at = in.position();
            const ImageShape shape = detail::decode_image_shape(in);
            try {
                set.set_image_shape(shape);
            } catch (const Error& e) {
                in.fail(std::string("not a valid data set: ") + e.what(), shape_at);
            }
        }
        return set;
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

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
#define FEDPP_CODEC_FUNCTIONS(X, T)                                                                             \
    X(void fedpp::detail::encode_matrix<T>(const fedpp::Matrix<T>&, fedpp::ByteWriter&))                       \
    X(fedpp::Matrix<T> fedpp::detail::decode_matrix<T>(fedpp::ByteReader&))                                    \
    X(fedpp::Tensor<T> fedpp::detail::read_tagged_value<fedpp::Tensor<T>>(fedpp::ByteReader&))                 \
    X(T fedpp::detail::read_tagged_value<T>(fedpp::ByteReader&))
FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(FEDPP_CODEC_FUNCTIONS);
