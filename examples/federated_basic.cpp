// PySyft's earlier tutorial "Intro to Federated Learning", in C++: one model
// visits each data owner in turn, trains on its data, and comes back to the
// model owner after every visit.
//
// That workflow shows the model owner each data owner's update: the model
// that returns from Bob has learnt from Bob's data alone. fedpp will not let
// that happen by accident (`get()` of a model at a data owner does not
// compile), so this example releases the model with fedpp::declassify, which
// names the reason and is recorded in the transfer log. The model-averaging
// example avoids the release altogether.
#include <fedpp/fedpp.hpp>

#include <cstdio>
#include <utility>

namespace {
using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
} // namespace

int main() {
    using namespace fedpp;
    using T = float;

    Federation hook;
    Worker<Bob> bob(hook);
    Worker<Alice> alice(hook);

    const Tensor<T> data{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const Tensor<T> target{{0}, {0}, {1}, {1}};
    auto bobs_data = send(data.slice_rows(0, 2), bob);
    auto bobs_target = send(target.slice_rows(0, 2), bob);
    auto alices_data = send(data.slice_rows(2, 4), alice);
    auto alices_target = send(target.slice_rows(2, 4), alice);

    Generator generator(2019);
    nn::Linear<T> model(2, 1, generator);

    auto local_step = [](nn::Linear<T>& m, Tensor<T>& x, Tensor<T>& y) {
        optim::SGD<T> opt(m.parameters(), 0.1);
        opt.zero_grad();
        auto loss = (m(x) - y).pow(2).sum();
        loss.backward();
        opt.step();
        return loss.item();
    };

    // Visits one data owner: send the model, train there, bring it back.
    auto visit = [&](auto& worker, const auto& worker_data, const auto& worker_target) {
        auto remote_model = send(model, worker);
        const T loss = worker.run(local_step, remote_model, worker_data, worker_target).get();
        // Why declassify: in this workflow the model owner trains the one
        // model sequentially, so it must take each data owner's update back.
        model = declassify<"federated_basic: sequential training needs each update back">(std::move(remote_model));
        std::printf("%s: %.6f\n", worker.name().c_str(), static_cast<double>(loss));
    };

    for (int iteration = 0; iteration < 10; ++iteration) {
        visit(bob, bobs_data, bobs_target);
        visit(alice, alices_data, alices_target);
    }

    const NoGradGuard no_grad;
    std::printf("loss on all data: %.6f\n", static_cast<double>((model(data) - target).pow(2).sum().item()));
    std::printf("declassified transfers: ");
    int declassified = 0;
    for (const auto& transfer : hook.transfers().entries()) {
        declassified += transfer.kind == TransferKind::declassify ? 1 : 0;
    }
    std::printf("%d\n", declassified);
    return 0;
}
