// fedpp: the parties of a federated run: the model owner's federation, the
// trusted aggregator, and one worker per client holding that client's data.
//
// In one process the driver sends each client its data set once. When the
// clients are processes of their own (RemoteParties), each has loaded and
// published its own data under a tag, and the driver finds it there: it
// never sends or receives a byte of it. A client that cannot be reached
// then (a NetworkError), or refuses (a PermissionDeniedError: its policy
// does not admit the model owner, or its budget of released scalars is
// spent), is left out of the run, with the reason
// (RunParties::unreachable), as if it had no data, until it is tried again
// and reached (RunParties::reach_unreachable).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/federated/client_record.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/io/checkpoint_errors.hpp"
#include "fedpp/io/codecs.hpp"
#include "fedpp/located/computation.hpp"
#include "fedpp/located/federation.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/worker.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp::federated {

/// Where every client lives: one location type for thousands of runtime
/// workers ("client-0", "client-1", ...).
using Client = DataOwner<"client">;
/// The trusted party that aggregates.
using Aggregator = TrustedAggregator<"aggregator">;

/// The parties of a run whose clients and aggregator are reached through
/// `transport` (fedpp::grpc::GrpcTransport: processes of their own). Each
/// client has published its training data under `data_tag` (a
/// data::Dataset of the model's scalar type).
struct RemoteParties {
    std::unique_ptr<Transport> transport;
    std::vector<std::string> clients;     ///< the clients' party names
    std::string aggregator = "aggregator"; ///< the trusted aggregator's party name
    std::string data_tag = "train";
    std::string own_name = "me";           ///< the model owner's party name
};

} // namespace fedpp::federated

namespace fedpp::detail {

/// A client's example count, which it makes public: FedAvg weighs by it.
template <class T>
inline constexpr auto example_count =
    computation<"fedpp.federated.example_count">([](data::Dataset<T>& d) { return std::int64_t{d.size()}; });

/// The workers of a run, its aggregator at location `Aggregator` (trusted,
/// or sum-only for secure aggregation). Client k's data is sent to worker
/// "client-k" once and is only ever used there; its example count is public
/// (FedAvg weighs by it), its data is not. Clients without data are never
/// eligible.
template <class T, Location Aggregator = federated::Aggregator>
class RunParties {
public:
    using Dataset = data::Dataset<T>;

    /// Client k is worker "client-k" of this process's federation, sent
    /// client_data[k].
    RunParties(const std::vector<Dataset>& client_data, bool keep_transfer_log) : aggregator(federation) {
        add_local_clients(client_data, keep_transfer_log);
    }

    /// The same, letting go of each client's data once it is sent: no data
    /// set is held twice (by the caller and its worker) for longer than it
    /// takes to send it.
    RunParties(std::vector<Dataset>&& client_data, bool keep_transfer_log) : aggregator(federation) {
        std::vector<Dataset> owned = std::move(client_data);
        add_local_clients(owned, keep_transfer_log);
    }

    /// Client k is party remote.clients[k], which published its data under
    /// remote.data_tag. One that cannot be reached (a NetworkError) or
    /// refuses (a PermissionDeniedError) is left out of the run, with the
    /// reason in `unreachable` (its size 0); RemoteObjectError if one
    /// published no such data.
    RunParties(federated::RemoteParties remote, bool keep_transfer_log)
        : federation(std::move(remote.own_name), std::move(remote.transport)),
          aggregator(federation, std::move(remote.aggregator)), data_tag_(std::move(remote.data_tag)), remote_(true) {
        federation.keep_transfer_entries(keep_transfer_log);
        clients.reserve(remote.clients.size());
        data.reserve(remote.clients.size());
        for (auto& name : remote.clients) {
            add_client(std::move(name), [&](Worker<federated::Client>& worker) { return find_data(worker); }, true);
        }
        check_eligible();
    }

    /// Tries again each client in `unreachable` that `refusal(k, eligible
    /// clients with it)` does not refuse ("": asked before the client is).
    /// One reached now is a client of the run as if it had been reached at
    /// the start (its data found, its example count learned; eligible if it
    /// has data) and leaves `unreachable`; one that `refusal` refuses, one
    /// whose count differs from the one the run knew it by, or one
    /// that still fails with a fedpp error (a NetworkError, a
    /// PermissionDeniedError; a RemoteObjectError if it published no data
    /// under the tag), stays there with the new reason. Each client joins or
    /// stays whole, even if another throws something else. Returns the
    /// clients reached. (Remote clients only: a local one is never there.)
    template <class Refusal>
    std::vector<std::size_t> reach_unreachable(const Refusal& refusal) {
        std::vector<std::size_t> reached;
        for (std::size_t i = 0; i < unreachable.size();) {
            const std::size_t k = unreachable[i].client;
            try {
                if (std::string why = refusal(k, eligible.size() + 1); !why.empty()) {
                    throw ArgumentError(why);
                }
                auto found = find_data(*clients[k]);
                const std::size_t size = count_examples(*clients[k], found);
                if (sizes[k] > 0 && size != sizes[k]) { // (known: set aside, or counted by a resumed run)
                    throw ArgumentError("it has " + std::to_string(size) + " examples now, " +
                                        std::to_string(sizes[k]) + " when the run counted it: another partition " +
                                        "of the data, which the run does not weigh again (start afresh)");
                }
                data[k] = std::move(found);
                sizes[k] = size;
                if (size > 0) {
                    eligible.insert(std::upper_bound(eligible.begin(), eligible.end(), k), k);
                }
                unreachable.erase(unreachable.begin() + static_cast<std::ptrdiff_t>(i));
                std::erase(held_, k);
                if (!own_sizes_.empty()) {
                    own_sizes_[k] = size;
                }
                reached.push_back(k);
            } catch (const Error& e) {
                unreachable[i++].reason = e.what();
            }
        }
        return reached;
    }

    /// Remote client k refused in a round (federated::ClientFailure::refused):
    /// not eligible, and in `unreachable` with `reason`, until
    /// reach_unreachable() takes it back. (A local client's refusal is its
    /// ClientUpdate's own error, for that round only.)
    void set_aside(std::size_t k, std::string reason) {
        if (!remote_) {
            return;
        }
        if (const auto at = std::lower_bound(eligible.begin(), eligible.end(), k); at != eligible.end() && *at == k) {
            eligible.erase(at);
            const auto after = std::upper_bound(unreachable.begin(), unreachable.end(), k,
                                                [](std::size_t c, const auto& out) { return c < out.client; });
            unreachable.insert(after, {k, std::move(reason)}); // (by client: tried again in that order)
        }
    }

    /// What a checkpoint records of each client: its count, and whether it
    /// is left out.
    [[nodiscard]] std::vector<federated::ClientRecord> records() const {
        return records_of(sizes, unreachable);
    }

    /// The clients' tables a run has (adoption() makes them for a resume).
    struct ClientTables {
        std::vector<std::size_t> sizes;
        std::vector<std::size_t> eligible;
        std::vector<federated::ClientFailure> unreachable; // by client
        std::vector<std::size_t> own_sizes; // the counts the run learned itself (none: `sizes`)
        std::vector<std::size_t> held;      // clients a resume left out, though this run reached them
    };

    /// The run's own clients: as it reached them itself, before any resume
    /// gave them the counts of the run that saved it, or left out one it
    /// had reached (check_resumable compares a state with these).
    [[nodiscard]] ClientTables own_clients() const {
        ClientTables own{own_sizes_.empty() ? sizes : own_sizes_, eligible, unreachable, {}, {}};
        for (const std::size_t k : held_) {
            std::erase_if(own.unreachable, [k](const federated::ClientFailure& out) { return out.client == k; });
            if (own.sizes[k] > 0) {
                own.eligible.insert(std::upper_bound(own.eligible.begin(), own.eligible.end(), k), k);
            }
        }
        return own;
    }
    [[nodiscard]] std::vector<federated::ClientRecord> own_records() const {
        const auto own = own_clients();
        return records_of(own.sizes, own.unreachable);
    }

    /// The clients of the run whose state this one resumes (`saved`, its
    /// records, which check_resumable found to agree with own_records()
    /// where both runs counted a client), from the run's own: a client left
    /// out then is left out now (until reach_unreachable() takes it), and
    /// every client has the count it had then, so that both runs weigh the
    /// same clients and, when this one reaches every client the other had,
    /// select the same. A run of clients in this process, which cannot leave
    /// one out, refuses (CheckpointMismatchError, `what` naming the state)
    /// records of clients left out. Changes nothing: adopt() takes the result.
    [[nodiscard]] ClientTables adoption(const std::vector<federated::ClientRecord>& saved,
                                        const std::string& what) const {
        ClientTables next = own_clients();
        next.own_sizes = next.sizes;
        const auto now = records_of(next.sizes, next.unreachable);
        for (std::size_t k = 0; k < saved.size(); ++k) {
            if (saved[k].left_out && !remote_) {
                throw CheckpointMismatchError(what + ": cannot resume from it: the run that saved it left out client " +
                                              std::to_string(k) + " (a party of its own, unreachable or refusing "
                                              "then), and this run's clients are in this process");
            }
            if (saved[k].left_out && !now[k].left_out) {
                std::erase(next.eligible, k);
                next.unreachable.push_back({k, "left out when the resumed state was saved (unreachable, or "
                                               "refusing, then)"});
                next.held.push_back(k);
            }
            next.sizes[k] = static_cast<std::size_t>(saved[k].examples);
        }
        std::sort(next.unreachable.begin(), next.unreachable.end(),
                  [](const auto& a, const auto& b) { return a.client < b.client; });
        return next;
    }
    void adopt(ClientTables next) noexcept {
        sizes = std::move(next.sizes);
        eligible = std::move(next.eligible);
        unreachable = std::move(next.unreachable);
        own_sizes_ = std::move(next.own_sizes);
        held_ = std::move(next.held);
    }

    Federation federation;
    Worker<Aggregator> aggregator;
    std::vector<std::unique_ptr<Worker<federated::Client>>> clients;
    std::vector<Pointer<Dataset, federated::Client>> data;
    std::vector<std::size_t> sizes;    ///< every client's example count
    std::vector<std::size_t> eligible; ///< the clients with data
    /// Remote clients left out, by client, and why: unreachable or refusing
    /// when the run started (or when last tried again), set aside after a
    /// round they were refused in, or left out by a resume; not eligible
    /// until reach_unreachable() reaches them.
    std::vector<federated::ClientFailure> unreachable;

    /// " (k clients left out: ...)", or "" if none is.
    [[nodiscard]] std::string unreachable_note() const {
        if (unreachable.empty()) {
            return {};
        }
        return " (" + std::to_string(unreachable.size()) +
               (unreachable.size() == 1 ? " client" : " clients") +
               " left out: unreachable or refusing when the run started, refused since, or left out by a "
               "resumed state; the first: " +
               unreachable.front().reason + ")";
    }

private:
    /// Sends client_data[k] to worker "client-k"; a `ClientData` that is not
    /// const is the run's own, and each data set is emptied once sent.
    template <class ClientData>
    void add_local_clients(ClientData& client_data, bool keep_transfer_log) {
        federation.keep_transfer_entries(keep_transfer_log);
        clients.reserve(client_data.size());
        data.reserve(client_data.size());
        for (std::size_t k = 0; k < client_data.size(); ++k) {
            add_client("client-" + std::to_string(k), [&](Worker<federated::Client>& worker) {
                return send(client_data[k], worker);
            });
            if constexpr (!std::is_const_v<ClientData>) {
                client_data[k] = Dataset();
            }
        }
        check_eligible();
    }

    /// A client's worker, with the pointer to its data that `place` gives
    /// and its example count (public: FedAvg weighs by it). `remote`: a
    /// client that cannot be reached, or refuses, is left out (size 0, no
    /// data pointer).
    template <class Place>
    void add_client(std::string name, const Place& place, bool remote = false) {
        clients.push_back(std::make_unique<Worker<federated::Client>>(federation, std::move(name)));
        std::size_t size = 0;
        try {
            Pointer<Dataset, federated::Client> found = place(*clients.back());
            size = count_examples(*clients.back(), found);
            data.push_back(std::move(found));
        } catch (const NetworkError& e) {
            leave_out(remote, e);
        } catch (const PermissionDeniedError& e) {
            leave_out(remote, e);
        }
        sizes.push_back(size);
        if (size > 0) {
            eligible.push_back(clients.size() - 1);
        }
    }

    /// The client just added could not be reached, or refused (`e`, being
    /// handled): left out, with the reason, if `remote`; else `e` goes on.
    void leave_out(bool remote, const Error& e) {
        if (!remote) {
            throw;
        }
        data.emplace_back();
        unreachable.push_back({clients.size() - 1, e.what()});
    }

    /// A remote client's data, where it published it.
    Pointer<Dataset, federated::Client> find_data(Worker<federated::Client>& worker) const {
        return worker.template find<Dataset>(data_tag_);
    }

    static std::size_t count_examples(Worker<federated::Client>& worker, const Pointer<Dataset, federated::Client>& found) {
        return static_cast<std::size_t>(worker.run(example_count<T>, found).get());
    }

    void check_eligible() const {
        if (eligible.empty()) {
            throw ArgumentError("FederatedAveraging: no client has any data" + unreachable_note());
        }
    }

    static std::vector<federated::ClientRecord> records_of(const std::vector<std::size_t>& sizes,
                                                           const std::vector<federated::ClientFailure>& out) {
        std::vector<federated::ClientRecord> all(sizes.size());
        for (std::size_t k = 0; k < sizes.size(); ++k) {
            all[k].examples = sizes[k];
        }
        for (const federated::ClientFailure& failure : out) {
            all[failure.client].left_out = true;
        }
        return all;
    }

    std::string data_tag_; // where remote clients published their data
    bool remote_ = false;  // clients that are parties of their own
    std::vector<std::size_t> own_sizes_; // ClientTables::own_sizes (none before a resume)
    std::vector<std::size_t> held_;      // ClientTables::held
};

} // namespace fedpp::detail
