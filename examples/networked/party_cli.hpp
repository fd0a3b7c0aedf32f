// What the networked examples share: a party's identity, credentials and
// peers from the command line, and serving a party until it is told to
// stop (SIGINT or SIGTERM).
//
//     --party NAME           this party's name: the name in its certificate
//     --certificates DIR     DIR/NAME.pem, DIR/NAME.key and DIR/ca.pem (or:)
//     --cert F --key F --ca F
//     --peers a=HOST:PORT,b=HOST:PORT   where the other parties are
//     --listen HOST:PORT     where a worker party serves (port 0: any free one)
//     --port-file F          a worker party writes the port it got there
//     --max-objects-per-requester N   a serving party's quota of objects per peer
//     --max-bytes-per-requester N     ...and of their bytes
//     --trust a,b            a data owner's trusted aggregators
//     --max-released-updates N   a data owner moves out at most N values made from its data
//     --released-updates-before K  ...of which K before it restarted
//     --released-updates-file F    ...counted in F across restarts
//     --max-released-scalars N     a data owner lets out at most N scalars made from its data
//     --released-scalars-before K  ...of which K before it restarted
//     --released-scalars-file F    ...counted in F across restarts
#pragma once

#include "../command_line.hpp"

#include <fedpp/grpc/server.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <string>

#include <pthread.h>

namespace examples::networked {

/// The options every party of a networked example takes.
inline std::map<std::string, std::string> party_options(std::map<std::string, std::string> more) {
    more.insert({{"party", "this party's name, the name in its certificate"},
                 {"certificates", "directory with NAME.pem, NAME.key and ca.pem (scripts/make_certificates.sh)"},
                 {"cert", "this party's certificate (PEM; default: from --certificates)"},
                 {"key", "this party's private key (PEM; default: from --certificates)"},
                 {"ca", "the federation's certificate authority (PEM; default: from --certificates)"},
                 {"peers", "where the other parties are: name=host:port,name=host:port"},
                 {"listen", "where a worker party serves, host:port (default 127.0.0.1:0, any free port)"},
                 {"port-file", "a worker party writes the port it listens on to this file"},
                 {"trust", "a data owner's trusted aggregators, by certificate name: a,b (default: the "
                           "example's own aggregator, secure_worker or aggregator; with --aggregation secure, its "
                           "sum-only aggregators)"},
                 {"requesters", "who may make requests, by certificate name: a,b (default: any party of the "
                                "federation)"},
                 {"max-objects-per-requester", "a serving party keeps at most this many objects made at one "
                                               "peer's requests (default 100000; 0: no limit)"},
                 {"max-bytes-per-requester", "a serving party keeps at most this many bytes in objects made at one "
                                             "peer's requests (default 17179869184, 16 GiB; 0: no limit)"},
                 {"max-released-updates", "a data owner moves out at most this many values made from its data "
                                          "in its life, then runs nothing on it (default 0: no limit)"},
                 {"released-updates-before", "a data owner: how many values made from its data it moved out before "
                                             "it restarted (default 0; a larger count in --released-updates-file "
                                             "wins)"},
                 {"released-updates-file", "a data owner keeps that count in this file across restarts "
                                           "(default: in memory)"},
                 {"max-released-scalars", "a data owner lets out at most this many scalars made from its data "
                                          "in its life (its example count when a run starts, a loss each plain "
                                          "round, adaptive clipping's indicator each DP round; default 0: no limit)"},
                 {"released-scalars-before", "a data owner: how many scalars made from its data it let out before "
                                             "it restarted (default 0; a larger count in --released-scalars-file "
                                             "wins)"},
                 {"released-scalars-file", "a data owner keeps that count in this file across restarts "
                                           "(default: in memory)"}});
    return more;
}

/// "a,b,c" -> {a, b, c}
inline std::set<std::string> names_in(const std::string& list) {
    std::set<std::string> names;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        if (comma > start) {
            names.insert(list.substr(start, comma - start));
        }
        start = comma + 1;
    }
    return names;
}

inline std::string party_name(const CommandLine& cli) {
    const std::string name = cli.text("party", "");
    if (name.empty()) {
        cli.fail("option '--party' is needed: which party this process is");
    }
    return name;
}

inline fedpp::grpc::Credentials credentials(const CommandLine& cli, const std::string& party) {
    const std::filesystem::path dir = cli.text("certificates", "");
    const auto file = [&](const char* option, const std::string& default_name) {
        if (cli.has(option)) {
            return std::filesystem::path(cli.text(option, ""));
        }
        if (dir.empty()) {
            cli.fail(std::string("option '--") + option + "' (or '--certificates') is needed");
        }
        return dir / default_name;
    };
    return {file("cert", party + ".pem"), file("key", party + ".key"), file("ca", "ca.pem")};
}

inline fedpp::grpc::Peers peers(const CommandLine& cli) {
    fedpp::grpc::Peers peers;
    const std::string list = cli.text("peers", "");
    for (std::size_t start = 0; start < list.size();) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const auto [name, address] = fedpp::grpc::parse_peer(list.substr(start, comma - start));
        if (!peers.emplace(name, address).second) {
            cli.fail("party '" + name + "' is given twice in --peers");
        }
        start = comma + 1;
    }
    return peers;
}

/// UsageError for the first of `options` given: they are `whose`
/// ("a data owner's") and party `name` would ignore them without a word.
inline void refuse_options(const CommandLine& cli, const std::string& name, std::initializer_list<const char*> options,
                           const char* whose) {
    for (const char* option : options) {
        if (cli.has(option)) {
            cli.fail(std::string("option '--") + option + "' is " + whose + ": party '" + name + "' does not use it");
        }
    }
}

/// The options only a data owner reads.
inline constexpr std::initializer_list<const char*> data_owner_options = {
    "trust", "max-released-updates", "released-updates-before", "released-updates-file",
    "max-released-scalars", "released-scalars-before", "released-scalars-file"};

/// UsageError for an option only a party that serves (a data owner or an
/// aggregator) reads, given to the model owner `name`.
inline void refuse_worker_options(const CommandLine& cli, const std::string& name) {
    refuse_options(cli, name,
                   {"listen", "port-file", "requesters", "max-objects-per-requester", "max-bytes-per-requester"},
                   "a serving party's (a data owner or aggregator)");
    refuse_options(cli, name, data_owner_options, "a data owner's (give it to each client's process)");
}

/// The party's policy as the command line sets it: its name, role and
/// requesters (--requesters).
inline fedpp::party::Policy policy_of(const CommandLine& cli, const std::string& name, fedpp::party::Role role) {
    fedpp::party::Policy policy;
    policy.name = name;
    policy.role = role;
    policy.requesters = names_in(cli.text("requesters", ""));
    policy.max_objects_per_requester = cli.count("max-objects-per-requester", policy.max_objects_per_requester);
    policy.max_bytes_per_requester = cli.count("max-bytes-per-requester", policy.max_bytes_per_requester);
    if (role == fedpp::party::Role::data_owner) {
        policy.trusted_aggregators = names_in(cli.text("trust", ""));
        policy.max_released_updates = cli.count("max-released-updates", 0);
        policy.released_updates_before = cli.count("released-updates-before", 0);
        policy.released_updates_file = cli.text("released-updates-file", "");
        policy.max_released_scalars = cli.count("max-released-scalars", 0);
        policy.released_scalars_before = cli.count("released-scalars-before", 0);
        policy.released_scalars_file = cli.text("released-scalars-file", "");
    } else {
        refuse_options(cli, name, data_owner_options, "a data owner's (this party aggregates)");
    }
    return policy;
}

/// Serves `host` on --listen until SIGINT or SIGTERM; the port goes to
/// --port-file (written whole, then renamed, so a reader never sees part).
inline int serve(fedpp::party::Host& host, const CommandLine& cli) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr); // the server's threads inherit it
    fedpp::grpc::ServerOptions options;
    options.listen = cli.text("listen", "127.0.0.1:0");
    options.credentials = credentials(cli, host.policy().name);
    options.peers = peers(cli);
    fedpp::grpc::PartyServer server(host, options);
    if (const std::string path = cli.text("port-file", ""); !path.empty()) {
        const std::string partial = path + ".partial";
        std::ofstream(partial) << server.port() << "\n";
        std::filesystem::rename(partial, path);
    }
    std::fprintf(stderr, "%s: serving on port %d\n", host.policy().name.c_str(), server.port());
    int signal = 0;
    sigwait(&stop_signals, &signal);
    server.shutdown();
    return 0;
}

} // namespace examples::networked
