// A program that takes fedpp's autograd kernels from fedpp::compiled: a few
// SGD steps of a small model, in float and in double. Built three ways by
// tests/compiled_library/CMakeLists.txt: linked to the library (it must
// build and train), compiled for it but not linked to it (it must fail to
// link: the kernels are not compiled in the program), and compiled with
// another Eigen alignment than the library's (it must fail to link, naming
// the alignment).
#include <fedpp/fedpp.hpp>

#include <cstdio>

template <class T>
T train() {
    fedpp::Generator generator(7);
    fedpp::nn::Linear<T> layer(2, 1, generator);
    fedpp::optim::SGD<T> sgd(layer.parameters(), T(0.1));
    const fedpp::Tensor<T> data{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const fedpp::Tensor<T> target{{0}, {0}, {1}, {1}};
    T loss{};
    for (int step = 0; step < 20; ++step) {
        sgd.zero_grad();
        auto error = (layer(data).relu() - target).pow(2).sum();
        error.backward();
        sgd.step();
        loss = error.item();
    }
    return loss;
}

int main() {
    const float single = train<float>();
    const double twice = train<double>();
    // Both fall well below the untrained loss (about 1) when the gradients are right.
    const bool ok = single < 0.2F && twice < 0.2;
    std::printf("compiled library %s: loss %.6f (float), %.6f (double)\n", ok ? "ok" : "FAILED",
                static_cast<double>(single), twice);
    return ok ? 0 : 1;
}
