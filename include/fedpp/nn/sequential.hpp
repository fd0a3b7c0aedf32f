// fedpp: nn::Sequential, layers applied one after another.
#pragma once

#include "fedpp/nn/activation.hpp"
#include "fedpp/nn/linear.hpp"
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
/// The layer kinds are a closed set (Layer below), which is what lets a
/// Sequential be serialised, sent to a worker and rebuilt there.
template <class T = float>
class Sequential {
public:
    using scalar_type = T;
    using Layer = std::variant<Linear<T>, ReLU, Sigmoid, Tanh>;

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

    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const {
        Tensor<T> out = x;
        for (const Layer& layer : layers_) {
            out = std::visit([&](const auto& l) { return l(out); }, layer);
        }
        return out;
    }
    [[nodiscard]] Tensor<T> forward(const Tensor<T>& x) const { return (*this)(x); }

    [[nodiscard]] std::size_t size() const noexcept { return layers_.size(); }
    [[nodiscard]] const Layer& operator[](std::size_t i) const { return layers_.at(i); }
    [[nodiscard]] Layer& operator[](std::size_t i) { return layers_.at(i); }
    [[nodiscard]] auto begin() const noexcept { return layers_.begin(); }
    [[nodiscard]] auto end() const noexcept { return layers_.end(); }

    /// Every layer's parameters, in layer order.
    [[nodiscard]] std::vector<Tensor<T>> parameters() const {
        std::vector<Tensor<T>> all;
        for (const Layer& layer : layers_) {
            if (const auto* fc = std::get_if<Linear<T>>(&layer)) {
                all.push_back(fc->weight());
                all.push_back(fc->bias());
            }
        }
        return all;
    }

    [[nodiscard]] Sequential copy() const {
        Sequential out;
        out.layers_.reserve(layers_.size());
        for (const Layer& layer : layers_) {
            out.layers_.push_back(std::visit(
                [](const auto& l) -> Layer {
                    if constexpr (std::is_same_v<std::decay_t<decltype(l)>, Linear<T>>) {
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
            std::visit(
                [&](const auto& l) {
                    if constexpr (std::is_same_v<std::decay_t<decltype(l)>, Linear<T>>) {
                        text += "Linear(" + std::to_string(l.in_features()) + ", " +
                                std::to_string(l.out_features()) + ")";
                    } else {
                        text += l.name;
                    }
                },
                layer);
        }
        return text;
    }

private:
    std::vector<Layer> layers_;
};

template <class T, class... Rest>
Sequential(Linear<T>, Rest...) -> Sequential<T>;

} // namespace fedpp::nn
