// PySyft's tutorial "Federated Learning with Model Averaging", with the
// secure worker trusted with nothing but the sum: a SumOnlyAggregator, and
// secure aggregation (Bonawitz et al. 2017) in place of the plain average.
//
// Each round Bob and Alice train as in model_averaging.cpp; then each masks
// its trained model where it is (fixed-point encoding plus masks agreed
// with the other and the secure worker's help), the masked models move to
// the secure worker, and it unmasks only their mean. No party, the secure
// worker included, sees Bob's or Alice's model; the compiler refuses to
// move a plain model to the secure worker, or to read a masked one.
//
// Build and run: cmake --build build --target secure_model_averaging && ./build/examples/secure_model_averaging
#include "model_averaging.hpp"

#include <fedpp/secure_aggregation.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

int main() {
    using namespace fedpp;
    using T = double;
    using Summer = SumOnlyAggregator<"secure_worker">;

    Generator generator(2019); // the tutorial's initial model
    const nn::Linear<T> initial(2, 1, generator);

    const auto print = [](int, T bobs_loss, T alices_loss) {
        std::printf("Bob: %.6f Alice: %.6f\n", static_cast<double>(bobs_loss), static_cast<double>(alices_loss));
    };
    const auto secure = tutorial::run_with<T, Summer>(
        initial.copy(), {}, print,
        [](auto& bob, auto& alice, Worker<Summer>& secure_worker, auto& bobs_model, auto& alices_model,
           const nn::Linear<T>& global) {
            secagg::SecureRound<nn::Linear<T>, Summer> round(global, secure_worker, {}, bob, alice); // keys, shares
            auto bobs_masked = round.mask(bobs_model, 1.0).move(secure_worker);
            auto alices_masked = round.mask(alices_model, 1.0).move(secure_worker);
            return round.sum(std::move(bobs_masked), std::move(alices_masked)).get(); // their mean, unmasked
        });

    // The same tutorial with the plain average at a trusted secure worker.
    const auto plain = tutorial::run<T>(initial.copy());
    double largest = 0;
    const auto a = secure.model.parameters();
    const auto b = plain.model.parameters();
    for (std::size_t k = 0; k < a.size(); ++k) {
        largest = std::max(largest, (a[k].value() - b[k].value()).cwiseAbs().maxCoeff());
    }
    std::printf("largest difference from the plain average after %zu rounds: %.3g (fixed point: steps of 2^-18)\n",
                secure.bob_losses.size(), largest);
    // About 1.1e-6 (deterministic: the same seeds each run); 1e-5 leaves room
    // for other compilers' rounding, not for a fault in the encoding.
    return largest < 1e-5 ? 0 : 1;
}
