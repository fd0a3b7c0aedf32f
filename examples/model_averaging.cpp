// PySyft's tutorial "Federated Learning with Model Averaging", in C++.
//
// Bob and Alice each train a copy of the model on their own data; the
// trained models move directly to the secure worker, which averages them;
// only the average comes back to us, the model owner. The compiler checks
// that: we cannot get() Bob's or Alice's model, and fedavg only compiles at
// a trusted location.
//
// Build and run: bash scripts/run_example.sh
#include "model_averaging.hpp"

#include <cstdio>

int main() {
    using namespace fedpp;
    using T = float;

    Generator generator(2019); // the initial model's seed
    nn::Linear<T> model(2, 1, generator);

    const auto result = tutorial::run<T>(std::move(model), {}, [](int, T bobs_loss, T alices_loss) {
        std::printf("Bob: %.6f Alice: %.6f\n", static_cast<double>(bobs_loss), static_cast<double>(alices_loss));
    });

    // Evaluate the averaged model on all the toy data.
    const NoGradGuard no_grad;
    const auto data = tutorial::toy_data<T>();
    const auto target = tutorial::toy_target<T>();
    const auto preds = result.model(data);
    const auto loss = (preds - target).pow(2).sum();
    std::printf("predictions:");
    for (Index i = 0; i < preds.rows(); ++i) {
        std::printf(" %.4f", static_cast<double>(preds.value()(i, 0)));
    }
    std::printf("\ntarget:     ");
    for (Index i = 0; i < target.rows(); ++i) {
        std::printf(" %.4f", static_cast<double>(target.value()(i, 0)));
    }
    std::printf("\nloss: %.6f\n", static_cast<double>(loss.item()));
    return 0;
}
