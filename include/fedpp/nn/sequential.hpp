// fedpp: nn::Sequential, layers applied one after another.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/nn/activation.hpp"
#include "fedpp/nn/conv2d.hpp"
#include "fedpp/nn/dropout.hpp"
#include "fedpp/nn/linear.hpp"
#include "fedpp/nn/mode.hpp"
#include "fedpp/nn/pooling.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <concepts>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace fedpp::nn {

/// A chain of layers, each one's output the next one's input:
///
///     nn::Sequential model(nn::Linear<>(784, 200, gen), nn::ReLU{},
///                          nn::Linear<>(200, 10, gen));
///
/// or, for images (see nn::Conv2d; the MNIST CNN of examples/mnist_fedavg.cpp):
///
///     nn::Conv2d<> conv(ImageShape{1, 28, 28}, 32, 5, gen, {.padding = 2});
///     nn::MaxPool2d pool(conv.output_shape(), 2);
///     nn::Sequential model(std::move(conv), nn::ReLU{}, pool, nn::Flatten{},
///                          nn::Linear<>(pool.output_shape().size(), 10, gen));
///
/// model(x) evaluates; model(x, nn::TrainingMode{generator}) runs the
/// layers that train differently (nn::Dropout) in training mode (mode.hpp).
/// A ShapeError from a layer names the layer. The layer kinds are a closed
/// set (Layer below), which is what lets a Sequential be serialised, sent
/// to a worker and rebuilt there.
template <class T = float>
class Sequential {
public:
    using scalar_type = T;
    /// New kinds go at the end: a layer's index is its tag in the byte format.
    using Layer = std::variant<Linear<T>, ReLU, Sigmoid, Tanh, Conv2d<T>, MaxPool2d, Flatten, Dropout>;

    Sequential() = default;

    template <class... Layers>
        requires(sizeof...(Layers) > 0 && (std::constructible_from<Layer, Layers&&> && ...))
    explicit Sequential(Layers&&... layers) {
        layers_.reserve(sizeof...(Layers));
        (layers_.emplace_back(std::forward<Layers>(layers)), ...);
    }

    Sequential(Sequential&&) noexcept = default;
    Sequential& operator=(Sequential&&) noexcept = default;
    Sequential(const Sequential&) = delete; // models are copied explicitly: use copy()
    Sequential& operator=(const Sequential&) = delete;
    ~Sequential() = default;

    /// Appends a layer; returns *this for chaining.
    Sequential& push_back(Layer layer) {
        layers_.push_back(std::move(layer));
        return *this;
    }

    /// The evaluation forward.
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const { return run(x, nullptr); }
    /// The training forward: Dropout layers draw from mode.generator.
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x, TrainingMode mode) const { return run(x, &mode); }
    [[nodiscard]] Tensor<T> forward(const Tensor<T>& x) const { return (*this)(x); }

    [[nodiscard]] std::size_t size() const noexcept { return layers_.size(); }
    [[nodiscard]] const Layer& operator[](std::size_t i) const { return layers_.at(i); }
    [[nodiscard]] Layer& operator[](std::size_t i) { return layers_.at(i); }
    [[nodiscard]] auto begin() const noexcept { return layers_.begin(); }
    [[nodiscard]] auto end() const noexcept { return layers_.end(); }

    /// Every layer's parameters, in layer order (each layer's in its own
    /// order: weight, then bias).
    [[nodiscard]] std::vector<Tensor<T>> parameters() const {
        std::vector<Tensor<T>> all;
        all.reserve(2 * layers_.size()); // one allocation: the federated drivers ask often
        for_each_parameter([&](const Tensor<T>& p) { all.push_back(p); });
        return all;
    }

    /// f(p) for each of parameters(), in its order, without handles.
    template <class F>
    void for_each_parameter(F&& f) const {
        for (const Layer& layer : layers_) {
            std::visit(
                [&](const auto& l) {
                    if constexpr (requires { l.for_each_parameter(f); }) {
                        l.for_each_parameter(f);
                    } else {
                        static_assert(!requires { l.parameters(); },
                                      "nn::Sequential: a layer with parameters needs for_each_parameter");
                    }
                },
                layer);
        }
    }

    [[nodiscard]] Sequential copy() const {
        Sequential out;
        out.layers_.reserve(layers_.size());
        for (const Layer& layer : layers_) {
            out.layers_.push_back(std::visit(
                [](const auto& l) -> Layer {
                    if constexpr (requires { l.copy(); }) {
                        return l.copy();
                    } else {
                        return l;
                    }
                },
                layer));
        }
        return out;
    }

    /// "Linear(64, 64) -> ReLU -> Linear(64, 10)".
    [[nodiscard]] std::string describe() const {
        std::string text;
        for (const Layer& layer : layers_) {
            if (!text.empty()) {
                text += " -> ";
            }
            text += describe(layer);
        }
        return text;
    }

    /// One layer's description: "Linear(64, 10)", "ReLU", ...
    [[nodiscard]] static std::string describe(const Layer& layer) {
        return std::visit(
            [](const auto& l) -> std::string {
                if constexpr (requires { l.describe(); }) {
                    return l.describe();
                } else {
                    return std::string(l.name);
                }
            },
            layer);
    }

private:
    Tensor<T> run(const Tensor<T>& x, const TrainingMode* mode) const {
        Tensor<T> out = x;
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            try {
                out = std::visit(
                    [&](const auto& l) {
                        if constexpr (requires { l(out, *mode); }) {
                            return mode != nullptr ? l(out, *mode) : l(out);
                        } else {
                            return l(out);
                        }
                    },
                    layers_[i]);
            } catch (const ShapeError& e) {
                throw ShapeError("nn::Sequential: layer " + std::to_string(i) + ", " + describe(layers_[i]) +
                                 ": " + e.what());
            }
        }
        return out;
    }

    std::vector<Layer> layers_;
};

template <class T, class... Rest>
Sequential(Linear<T>, Rest...) -> Sequential<T>;

template <class T, class... Rest>
Sequential(Conv2d<T>, Rest...) -> Sequential<T>;

} // namespace fedpp::nn
