// fedpp: partitioners, which deal a data set's examples out to clients.
//
// Each returns one vector of example indices per client; build a client's
// data with Dataset::subset(indices). Every example goes to exactly one
// client, and each client's indices are in increasing order: the partition
// is random, the order within it is not (shuffle batches when training).
//
// All randomness comes from a fedpp::Generator, and only from its raw draws,
// uniform01(), below() and normal() (no std::shuffle, no std::
// distributions, whose results differ between standard libraries), so a
// seed gives the same partition with every compiler. partition_dirichlet
// also uses std::log, std::exp and std::sqrt, which can differ in the last
// bit between C libraries; a cut point can then move by one example in the
// rare case that it falls exactly on a rounding boundary.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// Fisher-Yates: every order equally likely, one Generator::below per element.
inline void shuffle_indices(std::vector<Index>& values, Generator& generator) {
    for (std::size_t i = values.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(generator.below(i));
        std::swap(values[i - 1], values[j]);
    }
}

/// The natural logarithm of a Gamma(shape, 1) draw, shape > 0 and finite.
///
/// Marsaglia and Tsang, "A simple method for generating gamma variables"
/// (ACM TOMS 26(3), 2000): for shape >= 1, squeeze-and-reject on a cubed
/// normal; for shape < 1, their boost Gamma(a) = Gamma(a + 1) * U^(1/a).
/// The result is a logarithm because of that boost: with a small shape
/// U^(1/a) underflows to 0 (already for a = 0.01 when U < 1e-3), and a
/// Dirichlet draw made of such zeros would be 0/0. In logs it is just a
/// large negative number.
inline double log_gamma_draw(double shape, Generator& generator) {
    if (shape < 1.0) {
        const double u = 1.0 - generator.uniform01(); // in (0, 1]: log(u) is finite
        return log_gamma_draw(shape + 1.0, generator) + std::log(u) / shape;
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    while (true) {
        double x = 0.0;
        double v = 0.0;
        do {
            x = generator.normal();
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = 1.0 - generator.uniform01(); // in (0, 1]
        const double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) {
            return std::log(d) + std::log(v);
        }
    }
}

/// A draw from the symmetric Dirichlet(alpha, ..., alpha) over `count`
/// components: normalised Gamma(alpha, 1) draws, summed in logs (see
/// log_gamma_draw). The proportions are non-negative and sum to 1 up to
/// rounding.
inline std::vector<double> dirichlet_draw(double alpha, std::size_t count, Generator& generator) {
    std::vector<double> proportions(count);
    for (double& p : proportions) {
        p = log_gamma_draw(alpha, generator);
    }
    if (count == 0) {
        return proportions;
    }
    const double largest = *std::max_element(proportions.begin(), proportions.end());
    if (!(largest > -std::numeric_limits<double>::infinity())) {
        // Only for alpha below about 1e-307, where log(U)/alpha overflows for
        // every component: use the limit alpha -> 0, all mass on one
        // component chosen uniformly.
        std::fill(proportions.begin(), proportions.end(), 0.0);
        proportions[static_cast<std::size_t>(generator.below(count))] = 1.0;
        return proportions;
    }
    // Shifting by the largest puts one term at exactly 1, so the sum is in
    // [1, count] and the division is safe.
    double sum = 0.0;
    for (double& p : proportions) {
        p = std::exp(p - largest);
        sum += p;
    }
    for (double& p : proportions) {
        p /= sum;
    }
    return proportions;
}

/// ArgumentError unless `value` > 0 (the `function`'s `what`).
inline void require_positive(Index value, const char* function, const char* what) {
    if (value <= 0) {
        throw ArgumentError(std::string(function) + ": " + what + " must be positive, got " + std::to_string(value));
    }
}

inline void sort_each(std::vector<std::vector<Index>>& parts) {
    for (auto& part : parts) {
        std::sort(part.begin(), part.end());
    }
}

} // namespace fedpp::detail

namespace fedpp::data {

/// IID: the examples 0..n_examples-1 shuffled and dealt into `n_clients`
/// parts whose sizes differ by at most one (the first n_examples %
/// n_clients clients get the extra example). Clients get nothing if there
/// are fewer examples than clients. ArgumentError for a negative
/// n_examples or n_clients < 1.
inline std::vector<std::vector<Index>> partition_iid(Index n_examples, Index n_clients, Generator& generator) {
    if (n_examples < 0) {
        throw ArgumentError("data::partition_iid: the number of examples must not be negative, got " +
                            std::to_string(n_examples));
    }
    detail::require_positive(n_clients, "data::partition_iid", "the number of clients");

    std::vector<Index> order(static_cast<std::size_t>(n_examples));
    std::iota(order.begin(), order.end(), Index{0});
    detail::shuffle_indices(order, generator);

    std::vector<std::vector<Index>> parts(static_cast<std::size_t>(n_clients));
    const Index base = n_examples / n_clients;
    const Index extra = n_examples % n_clients;
    auto next = order.begin();
    for (Index client = 0; client < n_clients; ++client) {
        const Index size = base + (client < extra ? 1 : 0);
        parts[static_cast<std::size_t>(client)].assign(next, next + size);
        next += size;
    }
    detail::sort_each(parts);
    return parts;
}

/// The pathological non-IID split of McMahan et al., "Communication-Efficient
/// Learning of Deep Networks from Decentralized Data" (AISTATS 2017): sort
/// the examples by label (stably, so ties keep their order), cut them into
/// n_clients * shards_per_client shards of equal size, and give each client
/// `shards_per_client` shards drawn at random without replacement. For MNIST
/// the paper uses 100 clients with 2 shards of 300 each.
///
/// A shard holds one label unless it straddles the boundary between two;
/// when every class's size is a multiple of the shard size, each client sees
/// at most shards_per_client labels. (On MNIST's 60,000 training labels,
/// whose class sizes are not multiples of 300, a few shards hold two labels,
/// so a client sees at most 4.)
///
/// ArgumentError if n_clients or shards_per_client is below 1, or if the
/// examples do not divide into that many non-empty shards of equal size.
inline std::vector<std::vector<Index>> partition_shards(std::span<const std::int32_t> labels, Index n_clients,
                                                        Index shards_per_client, Generator& generator) {
    detail::require_positive(n_clients, "data::partition_shards", "the number of clients");
    detail::require_positive(shards_per_client, "data::partition_shards", "the number of shards per client");
    const auto n = static_cast<Index>(labels.size());
    if (n_clients > n / shards_per_client) {
        throw ArgumentError("data::partition_shards: " + std::to_string(n) + " examples cannot make " +
                            std::to_string(n_clients) + " x " + std::to_string(shards_per_client) +
                            " non-empty shards");
    }
    const Index shard_count = n_clients * shards_per_client; // <= n: no overflow
    if (n % shard_count != 0) {
        throw ArgumentError("data::partition_shards: " + std::to_string(n) + " examples do not divide into " +
                            std::to_string(shard_count) + " equal shards (" + std::to_string(n_clients) +
                            " clients x " + std::to_string(shards_per_client) + "); " +
                            std::to_string(n % shard_count) +
                            " are left over. Drop them, or choose counts that divide " + std::to_string(n));
    }
    const Index shard_size = n / shard_count;

    std::vector<Index> by_label(labels.size());
    std::iota(by_label.begin(), by_label.end(), Index{0});
    std::stable_sort(by_label.begin(), by_label.end(), [&](Index a, Index b) {
        return labels[static_cast<std::size_t>(a)] < labels[static_cast<std::size_t>(b)];
    });

    std::vector<Index> shards(static_cast<std::size_t>(shard_count));
    std::iota(shards.begin(), shards.end(), Index{0});
    detail::shuffle_indices(shards, generator);

    std::vector<std::vector<Index>> parts(static_cast<std::size_t>(n_clients));
    for (Index client = 0; client < n_clients; ++client) {
        auto& part = parts[static_cast<std::size_t>(client)];
        part.reserve(static_cast<std::size_t>(shards_per_client * shard_size));
        for (Index s = 0; s < shards_per_client; ++s) {
            const Index shard = shards[static_cast<std::size_t>(client * shards_per_client + s)];
            const auto first = by_label.begin() + shard * shard_size;
            part.insert(part.end(), first, first + shard_size);
        }
    }
    detail::sort_each(parts);
    return parts;
}

/// Label skew drawn from a Dirichlet distribution, the split common in the
/// federated-learning literature (e.g. Yurochkin et al., ICML 2019). For
/// each class c in turn, its n_c examples are shuffled, proportions p over
/// the clients are drawn from the symmetric Dirichlet(alpha), and client j
/// gets the next round(n_c * (p_0 + ... + p_j)) - round(n_c * (p_0 + ... +
/// p_{j-1})) of them, so that every example is dealt out.
///
/// alpha sets the skew. Large alpha (100 and up) gives every client nearly
/// the global label mix, and nearly equal sizes; alpha = 1 gives clearly
/// uneven mixes; small alpha (0.1 and below) gives most of each class to one
/// or two clients. Then clients may get few or no examples at all, and
/// client sizes vary a lot: that is allowed, not an error; check the sizes
/// (and drop or merge empty clients) if your training cannot take that.
///
/// ArgumentError if n_classes or n_clients is below 1, if alpha is not
/// positive and finite, or if a label is outside [0, n_classes).
inline std::vector<std::vector<Index>> partition_dirichlet(std::span<const std::int32_t> labels,
                                                           std::int32_t n_classes, Index n_clients, double alpha,
                                                           Generator& generator) {
    detail::require_positive(n_classes, "data::partition_dirichlet", "the number of classes");
    detail::require_positive(n_clients, "data::partition_dirichlet", "the number of clients");
    if (!(alpha > 0.0) || !std::isfinite(alpha)) {
        throw ArgumentError("data::partition_dirichlet: alpha must be positive and finite, got " +
                            std::to_string(alpha));
    }
    std::vector<std::vector<Index>> by_class(static_cast<std::size_t>(n_classes));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const std::int32_t label = labels[i];
        if (label < 0 || label >= n_classes) {
            throw ArgumentError("data::partition_dirichlet: label " + std::to_string(label) + " of example " +
                                std::to_string(i) + " is outside [0, " + std::to_string(n_classes) + ")");
        }
        by_class[static_cast<std::size_t>(label)].push_back(static_cast<Index>(i));
    }

    std::vector<std::vector<Index>> parts(static_cast<std::size_t>(n_clients));
    for (auto& examples : by_class) {
        detail::shuffle_indices(examples, generator);
        const std::vector<double> proportions =
            detail::dirichlet_draw(alpha, static_cast<std::size_t>(n_clients), generator);
        // Cut points from the rounded running sum: each client gets its
        // share to within one example, and the last cut is the class size
        // exactly, whatever the rounding of the proportions.
        const auto class_size = static_cast<double>(examples.size());
        double running = 0.0;
        std::size_t begin = 0;
        for (std::size_t client = 0; client < parts.size(); ++client) {
            running += proportions[client];
            std::size_t end = examples.size();
            if (client + 1 < parts.size()) {
                end = std::min(examples.size(), static_cast<std::size_t>(std::floor(running * class_size + 0.5)));
                end = std::max(end, begin);
            }
            parts[client].insert(parts[client].end(), examples.begin() + static_cast<std::ptrdiff_t>(begin),
                                 examples.begin() + static_cast<std::ptrdiff_t>(end));
            begin = end;
        }
    }
    detail::sort_each(parts);
    return parts;
}

} // namespace fedpp::data
