// A program that takes fedpp's autograd kernels from fedpp::compiled: a few
// SGD steps of a small model, in float and in double, and the type of every
// node the library lists. Built three ways by
// tests/compiled_library/CMakeLists.txt: linked to the library (it must
// build and train), compiled for it but not linked to it (it must fail to
// link on every listed node, for both types: none is compiled in the
// program), and compiled with another Eigen alignment than the library's
// (it must fail to link, naming the alignment). It also sends a value to a
// worker and fetches it back: the runtime's non-template functions (stores,
// transport, transfer log, byte reader) come from the library too
// (fedpp/base/separate_compilation.hpp); and calls every function template
// the headers list for the library (the forward functions, the codecs, the
// layout check and FedAvg's blocked sum, the last three by averaging two
// models at a trusted aggregator).
#include "instantiations.hpp" // src/compiled/: the list of nodes the library holds

#include <fedpp/fedpp.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <typeinfo>

// Every node the library lists, for float and double: their type
// information comes from the library, so that this program links only if
// the library holds each of them and fails to link without it on each.
#define FEDPP_NODE_TYPE(name, T) &typeid(fedpp::detail::name<T>),
const std::type_info* const listed_nodes[] = {FEDPP_COMPILED_NODES(FEDPP_NODE_TYPE, float)
                                                  FEDPP_COMPILED_NODES(FEDPP_NODE_TYPE, double)};

template <class T>
T train() {
    fedpp::Generator generator(7);
    fedpp::nn::Linear<T> layer(2, 1, generator);
    fedpp::optim::SGD<T> sgd(layer.parameters(), T(0.1));
    const fedpp::Tensor<T> data{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const fedpp::Tensor<T> target{{0}, {0}, {1}, {1}};
    (void)fedpp::matmul(data, fedpp::Tensor<T>{{1}, {1}}); // the library's forward products, too
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

/// Every forward function the library lists (check_undefined.cmake requires
/// each from it): true if they compute what they should.
template <class T>
bool forward_functions() {
    const fedpp::Tensor<T> x{{1, -2}, {3, 4}};
    const auto squares = fedpp::add(fedpp::mul(x, x), fedpp::sub(x, x));
    const auto cubes_twice = fedpp::sub(fedpp::pow(x, T(3)), fedpp::mul(fedpp::square(x), x));
    const auto activated = fedpp::add(fedpp::add(fedpp::relu(x), fedpp::sigmoid(x)),
                                      fedpp::add(fedpp::tanh(x), fedpp::log_softmax(x)));
    const T scaled = fedpp::sum(fedpp::add_scalar(fedpp::scale(squares, T(2)), T(1))).item(); // 2 * 30 + 4
    return scaled == T(64) && std::abs(fedpp::mean(cubes_twice).item()) < T(1e-3) &&
           fedpp::sum(fedpp::slice_rows(x, 0, 1)).item() == T(-1) && std::isfinite(fedpp::sum(activated).item());
}

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Secure = fedpp::TrustedAggregator<"secure_worker">;

/// A value sent to a worker and fetched back (the object store, the
/// in-process transport, the seam, the transfer log and the byte reader):
/// true if it came back whole and the log counted both transfers.
bool round_trip() {
    fedpp::Federation federation;
    fedpp::Worker<Bob> bob(federation);
    auto value = fedpp::send(std::int64_t{42}, bob);
    const std::int64_t fetched = value.get();
    return fetched == 42 && federation.transfers().count() == 2;
}

/// Two copies of a model sent to the data owners, moved to a trusted
/// aggregator and averaged there, and a tensor and a scalar sent and
/// fetched back: true if the average is the model and the values came back.
template <class T>
bool averaged() {
    fedpp::Federation federation;
    fedpp::Worker<Bob> bob(federation);
    fedpp::Worker<Alice> alice(federation);
    fedpp::Worker<Secure> secure(federation);
    fedpp::Generator generator(11);
    const fedpp::nn::Linear<T> model(3, 2, generator);
    auto bobs_model = fedpp::send(model.copy(), bob).move(secure);
    auto alices_model = fedpp::send(model.copy(), alice).move(secure);
    const fedpp::nn::Linear<T> average = fedavg(bobs_model, alices_model).get();
    const auto tensor =
        fedpp::declassify<"the test's own tensor, fetched back">(fedpp::send(model.weight().detach(), bob));
    const T scalar = fedpp::send(T(0.5), bob).get();
    return average.weight().value() == model.weight().value() && average.bias().value() == model.bias().value() &&
           tensor.value() == model.weight().value() && scalar == T(0.5);
}

/// How many of the listed node types differ from one another (all of them:
/// this reads each one's type information, which the linker must find).
std::size_t distinct_node_types() {
    std::size_t distinct = 0;
    for (std::size_t i = 0; i < std::size(listed_nodes); ++i) {
        bool seen = false;
        for (std::size_t j = 0; j < i; ++j) {
            seen = seen || *listed_nodes[j] == *listed_nodes[i];
        }
        distinct += seen ? 0 : 1;
    }
    return distinct;
}

int main() {
    const float single = train<float>();
    const double twice = train<double>();
    const std::size_t types = distinct_node_types();
    const bool round_trip_ok = round_trip();
    const bool averaged_ok = averaged<float>() && averaged<double>();
    const bool forward_ok = forward_functions<float>() && forward_functions<double>();
    // Both fall well below the untrained loss (about 1) when the gradients are right.
    const bool ok = single < 0.2F && twice < 0.2 && types == std::size(listed_nodes) && round_trip_ok &&
                    averaged_ok && forward_ok;
    std::printf("compiled library %s: loss %.6f (float), %.6f (double); %zu distinct node types; round trip %s; "
                "average %s; forward functions %s\n",
                ok ? "ok" : "FAILED", static_cast<double>(single), twice, types, round_trip_ok ? "ok" : "FAILED",
                averaged_ok ? "ok" : "FAILED", forward_ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
