// fedpp: what a party allows, decided by the party itself.
//
// When every party is a process of its own, the model owner's compiler no
// longer protects a data owner: whoever connects may send any request. Each
// party therefore enforces, at run time, the rules fedpp's types enforce on
// an honest model owner, from its own configuration: who it trusts to
// aggregate (by certificate name), who may make requests at all, and what
// may leave it.
#pragma once

#include "fedpp/base/errors.hpp"

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>

namespace fedpp::detail {

/// Whether paths `a` and `b` name one file (or would, once made): one file
/// by two names (hard links too), or the same path once made absolute,
/// with links and "." and ".." resolved as far as the path exists.
inline bool same_file(const std::string& a, const std::string& b) {
    if (std::error_code error; std::filesystem::equivalent(a, b, error) && !error) {
        return true;
    }
    bool resolved = true;
    const auto full = [&](const std::string& path) {
        std::error_code error;
        auto absolute = std::filesystem::absolute(path, error);
        auto result = error ? absolute : std::filesystem::weakly_canonical(absolute, error);
        resolved = resolved && !error;
        return result;
    };
    const auto full_a = full(a);
    const auto full_b = full(b);
    return resolved ? full_a == full_b : a == b;
}

} // namespace fedpp::detail

namespace fedpp::party {

enum class Role {
    data_owner, ///< keeps its data: releases only public scalars, sends values only to trusted aggregators
    aggregator, ///< aggregates what data owners send it: releases only aggregates of enough of them
    /// Secure aggregation's server, trusted with no single update: takes from
    /// data owners only masked updates and the protocol's messages, releases
    /// only the unmasked aggregate (of enough of them) and scalars, and sends
    /// on only the protocol's messages it made (to the participants).
    sum_only_aggregator,
};

struct Policy {
    std::string name;         ///< this party's name: the name in its certificate
    Role role = Role::data_owner;
    /// A data owner's values may move only to these parties (certificate
    /// names): its own list, whatever the model owner's types say.
    std::set<std::string> trusted_aggregators;
    /// A data owner's masked updates and secure aggregation's messages may
    /// move only to these parties (certificate names), and nothing else may.
    std::set<std::string> sum_only_aggregators;
    /// Who may make requests (certificate names); empty: every peer with a
    /// certificate of the federation's authority.
    std::set<std::string> requesters;
    /// An aggregator (of either kind) counts as contributions only values from these data
    /// owners (certificate names); empty: from every requester that moves a
    /// value here on another's behalf.
    std::set<std::string> contributors;
    /// An aggregator releases only aggregates of at least this many data
    /// owners (and more if a request asks).
    std::size_t min_contributions = 2;
    /// ...counting a data owner only if its weight is at least this fraction
    /// of the largest weight in the aggregate (in [0, 1]; 0: any positive
    /// weight): weights {1, 1e-300} make no aggregate of two that
    /// is one data owner's model. For fedavg, the streaming sums
    /// (average_of) and DP releases; the median and the trimmed mean weigh
    /// all alike.
    double min_weight_ratio = 0.01;
    /// With dp_min_noise_multiplier > 0, an aggregator releases only
    /// DP-FedAvg's aggregates, of updates clipped to at most
    /// dp_max_clip_norm, with noise of a standard deviation of at least
    /// dp_min_noise_multiplier * dp_max_clip_norm (WorkerRules): the noise
    /// is then not the model owner's choice. 0: the model owner chooses
    /// (and may choose none, or no DP). For Role::aggregator only (see
    /// check_role_settings).
    double dp_max_clip_norm = 0;
    double dp_min_noise_multiplier = 0;
    /// With mask_min_noise_multiplier > 0, a data owner masks for a
    /// sum-only aggregator (distributed DP, secagg::MaskNoise) only updates
    /// clipped to at most mask_max_clip_norm (it clips a larger one
    /// itself), with a share of the noise of a standard deviation of at
    /// least mask_min_noise_multiplier * mask_max_clip_norm / sqrt(t), t the
    /// session's threshold (the fewest shares of its secrets that unmask
    /// it), and refuses a secure round without DP: its noise is then not the
    /// model owner's choice, and, as neither rule depends on its update, a
    /// refusal tells nothing of it (but that it is not finite: refused).
    /// The floor is its own: a released sum carries noise of
    /// mask_min_noise_multiplier times its bound only if t of the data
    /// owners in it keep such a floor, with weights no smaller than its own;
    /// its own share alone is 1 / sqrt(t) of that, and t, like the weights,
    /// is the model owner's choice (at most the session's clients, 4,096).
    /// It binds masked updates only. Needs private_noise and no
    /// allow_seeded_secrets. For Role::data_owner only.
    double mask_max_clip_norm = 0;
    double mask_min_noise_multiplier = 0;
    /// With the floor above, the noise multiplier g its own share alone must
    /// give its update, whatever t: a share below g * mask_max_clip_norm is
    /// refused too, so that each update it masks keeps noise of g times its
    /// bound, whatever the weights, even in a sum in which every other
    /// update is the model owner's (who may still ask for large sessions,
    /// with larger shares). Per masked update: sessions repeated average
    /// fresh shares away (bounded by max_released_updates). 0: none (its own
    /// share may be 1 / sqrt(t) of the floor).
    double mask_min_own_noise_multiplier = 0;
    /// An aggregator draws the noise of differential privacy (DP-FedAvg's
    /// noise on the sum, adaptive clipping's on the count), and a data
    /// owner its share of secure aggregation's distributed noise
    /// (secagg::MaskNoise), from the seed the requester gives mixed with a
    /// 64-bit secret of its own, drawn from the system's random device when
    /// the party starts: the model owner, who knows its run's seed, cannot
    /// recompute the noise and take it off the released model; with it, a
    /// digest (keyed by the secret) of what is released or masked, so that
    /// two different values never draw the same noise, while the same one
    /// asked again draws the same. false: the requester's seed alone (a run
    /// that can be replayed, bitwise the same as in one process; not with
    /// dp_min_noise_multiplier).
    bool private_noise = true;
    /// Whether a requester may fix this party's secrets with a seed of its
    /// own (secure aggregation's SecureRoundOptions::seed: reproducible
    /// sessions, for tests and simulations only, as whoever knows the seed
    /// knows every secret). false: such a session is refused.
    bool allow_seeded_secrets = false;
    /// A data owner moves out at most this many values in its life (its
    /// models to trusted aggregators, its masked updates to sum-only ones;
    /// secure aggregation's messages aside), each counted when it leaves,
    /// and refuses the next: each can go into an aggregate, and each
    /// aggregate tells a little about its data (release_budget.hpp). 0: no
    /// limit. For Role::data_owner only.
    std::uint64_t max_released_updates = 0;
    /// How many of them it moved out before (a restarted party whose
    /// operator carries its count over).
    std::uint64_t released_updates_before = 0;
    /// Where it keeps that count across restarts and crashes ("": in memory
    /// only): read when the party starts (the larger of it and
    /// released_updates_before counts), and written, synced, before each
    /// value leaves. For Role::data_owner only.
    std::string released_updates_file;
    /// A data owner lets out at most this many scalars made from its data
    /// in its life (losses and example counts fetched, adaptive clipping's
    /// indicators moved to an aggregator), each counted when it leaves, and
    /// refuses the next: each answers a question about its data (a loss of
    /// a model the requester chose is one), and enough of them tell its
    /// data (release_budget.hpp). 0: no limit. For Role::data_owner only.
    std::uint64_t max_released_scalars = 0;
    /// How many of them it let out before (a restarted party whose operator
    /// carries its count over).
    std::uint64_t released_scalars_before = 0;
    /// Where it keeps that count across restarts and crashes, as
    /// released_updates_file keeps the other ("": in memory only).
    std::string released_scalars_file;
    /// The largest value a request may carry or store, in bytes.
    std::uint64_t max_value_bytes = std::uint64_t{8} << 30;
    /// Whether the message of a computation that throws goes back to the
    /// requester (false: withheld, the requester learns only that it failed).
    bool reveal_errors = false;
    /// Objects of a requester that has sent nothing for this long are
    /// deleted (a model owner that vanished leaves nothing behind for long).
    std::chrono::milliseconds lease = std::chrono::minutes(10);
    /// The most objects here that one peer (by certificate name: all its
    /// sessions together) may have made for itself and that are not yet
    /// erased (values it stored, copies and computations' results it asked
    /// for); as many, apart, for each other requester heard from here that
    /// it gave values to (such as a data owner's models moved to an
    /// aggregator for the model owner: one model owner cannot use up a data
    /// owner's quota for another); and as many for all requesters not heard
    /// from together (made-up owners get no more). Beyond it, a store, a
    /// copy or a computation (even one that makes nothing) is refused until
    /// some are erased (by their owner, or with its lease); an object moving
    /// on counts until it has arrived (a forward that fails leaves it as
    /// it was), and one being made from when its request is admitted (a
    /// value still arriving, a computation running). 0: no quota.
    std::size_t max_objects_per_requester = 100000;
    /// The same quota in bytes, for the same peers and requesters: the
    /// objects that count there may hold this many bytes in all, each
    /// measured as its encoding when it is made here (a value stored, a
    /// copy, a computation's result; a secure aggregation party's state,
    /// which has no encoding, by an estimate from its session's settings:
    /// 4 bytes a word of its vector and 128 bytes a neighbour entry, the
    /// clients times k + 1 at the aggregator, k + 1 at a data owner, so the
    /// complete graph of 4,096 clients counts 2 GiB beside its vector).
    /// Encoded bytes, not memory: a tensor takes about its encoding, a small
    /// object more (its bookkeeping: bounded by the object quota), and
    /// inputs a computation changes in place are not measured again. An
    /// object moving on counts until it has arrived, and one being made
    /// from when its request was admitted: a value still arriving by its
    /// announced size (a stream stalled after its announcement holds that
    /// room until it is cancelled: stream_idle_timeout), a copy by its size,
    /// a computation's result as 0 bytes until it is measured. What one
    /// peer's concurrent sessions count never passes the quota together;
    /// memory may, for a moment, by the results of computations running at
    /// once (at most one per serving thread). A store or copy that
    /// would pass it is refused before anything is made; a computation
    /// before it runs once the bytes counted reach the quota, and its result
    /// once it is made if it does not fit (deleted; what the computation did
    /// to its inputs stays). 16 GiB
    /// by default (twice max_value_bytes' default: set both to what this
    /// machine may give one peer); 0: no quota.
    std::uint64_t max_bytes_per_requester = std::uint64_t{16} << 30;
};

/// ArgumentError for a setting that this party's role would ignore, so that
/// none is ignored silently, or that another would make void: the DP
/// bounds bind only a plain aggregator's releases, the mask_* bounds only
/// a data owner's masked updates, and both need private_noise; the
/// budgets of released updates and scalars bind only a data owner.
/// A sum-only aggregator sees masked updates, whose clipping and noise it
/// cannot check (secure DP adds the noise at the data owners), and a data
/// owner does not check its own training's DP parameters (it bounds what
/// it masks and the noise share it adds: mask_*).
inline void check_role_settings(const Policy& policy) {
    if (policy.role != Role::aggregator && (policy.dp_max_clip_norm != 0 || policy.dp_min_noise_multiplier != 0)) {
        throw ArgumentError("party '" + policy.name + "': dp_max_clip_norm and dp_min_noise_multiplier bind only " +
                            "an aggregator (Role::aggregator); " +
                            (policy.role == Role::sum_only_aggregator
                                 ? "a sum-only aggregator sees masked updates, and cannot check their clipping or "
                                   "noise"
                                 : "a data owner does not enforce them on its own training (it bounds what it masks: "
                                   "mask_max_clip_norm, mask_min_noise_multiplier)"));
    }
    const bool mask_floor = policy.mask_max_clip_norm != 0 || policy.mask_min_noise_multiplier != 0;
    if (policy.role != Role::data_owner && (mask_floor || policy.mask_min_own_noise_multiplier != 0)) {
        throw ArgumentError("party '" + policy.name + "': mask_max_clip_norm, mask_min_noise_multiplier and " +
                            "mask_min_own_noise_multiplier bind only a data owner (Role::data_owner), on the " +
                            "updates it masks and their noise shares");
    }
    if (mask_floor && !(policy.mask_max_clip_norm > 0 && policy.mask_min_noise_multiplier > 0 &&
                        std::isfinite(policy.mask_max_clip_norm) && std::isfinite(policy.mask_min_noise_multiplier))) {
        throw ArgumentError("party '" + policy.name + "': mask_max_clip_norm and mask_min_noise_multiplier must " +
                            "both be finite and > 0 (the noise is relative to the clip norm), or both 0");
    }
    if (!(policy.mask_min_own_noise_multiplier >= 0 && std::isfinite(policy.mask_min_own_noise_multiplier)) ||
        (policy.mask_min_own_noise_multiplier != 0 && !mask_floor)) {
        throw ArgumentError("party '" + policy.name + "': mask_min_own_noise_multiplier must be finite and >= 0, " +
                            "and needs mask_max_clip_norm and mask_min_noise_multiplier (a data owner's floor)");
    }
    if (mask_floor && (!policy.private_noise || policy.allow_seeded_secrets)) {
        throw ArgumentError("party '" + policy.name + "': mask_min_noise_multiplier needs private_noise and " +
                            "no allow_seeded_secrets: with the requester's seed alone, it could recompute the " +
                            "share and take it off, or the masks and see the update with its share alone");
    }
    const bool budgets = policy.max_released_updates != 0 || policy.released_updates_before != 0 ||
                         !policy.released_updates_file.empty() || policy.max_released_scalars != 0 ||
                         policy.released_scalars_before != 0 || !policy.released_scalars_file.empty();
    if (policy.role != Role::data_owner && budgets) {
        throw ArgumentError("party '" + policy.name + "': the budgets of released updates and scalars " +
                            "(max_released_*, released_*_before, released_*_file) bind only a data owner " +
                            "(Role::data_owner): an aggregator holds no data of its own, and releases only " +
                            "aggregates");
    }
    if (!policy.released_updates_file.empty() && !policy.released_scalars_file.empty() &&
        fedpp::detail::same_file(policy.released_updates_file, policy.released_scalars_file)) {
        throw ArgumentError("party '" + policy.name + "': released_updates_file and released_scalars_file are " +
                            "the same file, '" + policy.released_updates_file + "': each keeps a count of its own");
    }
    if (policy.dp_max_clip_norm != 0 && policy.dp_min_noise_multiplier == 0) {
        throw ArgumentError("party '" + policy.name + "': a dp_max_clip_norm binds only with a " +
                            "dp_min_noise_multiplier > 0 (the noise is relative to it); set both, or neither");
    }
    if (policy.dp_min_noise_multiplier > 0 && !policy.private_noise) {
        throw ArgumentError("party '" + policy.name + "': dp_min_noise_multiplier needs private_noise: with the " +
                            "requester's seed alone, it could recompute the noise and take it off");
    }
}

} // namespace fedpp::party
