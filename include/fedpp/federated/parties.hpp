// fedpp: the parties of a federated run: the model owner's federation, the
// trusted aggregator, and one worker per client holding that client's data.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/io/codecs.hpp"
#include "fedpp/located/federation.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/worker.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fedpp::federated {

/// Where every client lives: one location type for thousands of runtime
/// workers ("client-0", "client-1", ...).
using Client = DataOwner<"client">;
/// The trusted party that aggregates.
using Aggregator = TrustedAggregator<"aggregator">;

} // namespace fedpp::federated

namespace fedpp::detail {

/// The workers of a run. Client k's data is sent to worker "client-k" once
/// and is only ever used there; its example count is public (FedAvg weighs
/// by it), its data is not. Clients without data are never eligible.
template <class T>
class RunParties {
public:
    using Dataset = data::Dataset<T>;

    RunParties(const std::vector<Dataset>& client_data, bool keep_transfer_log) : aggregator(federation) {
        federation.keep_transfer_entries(keep_transfer_log);
        clients.reserve(client_data.size());
        data.reserve(client_data.size());
        for (std::size_t k = 0; k < client_data.size(); ++k) {
            clients.push_back(
                std::make_unique<Worker<federated::Client>>(federation, "client-" + std::to_string(k)));
            data.push_back(send(client_data[k], *clients.back()));
            sizes.push_back(static_cast<std::size_t>(
                clients.back()->run([](Dataset& d) { return std::int64_t{d.size()}; }, data.back()).get()));
            if (sizes.back() > 0) {
                eligible.push_back(k);
            }
        }
        if (eligible.empty()) {
            throw ArgumentError("FederatedAveraging: no client has any data");
        }
    }

    Federation federation;
    Worker<federated::Aggregator> aggregator;
    std::vector<std::unique_ptr<Worker<federated::Client>>> clients;
    std::vector<Pointer<Dataset, federated::Client>> data;
    std::vector<std::size_t> sizes;    ///< every client's example count
    std::vector<std::size_t> eligible; ///< the clients with data
};

} // namespace fedpp::detail
