// fedpp: secure aggregation. The server learns the sum of the clients'
// updates and nothing else about any one of them, even when clients drop
// out at any stage. Needs OpenSSL 3 (CMake target fedpp::secure_aggregation).
//
// The protocol is Bonawitz et al., "Practical Secure Aggregation for
// Privacy-Preserving Machine Learning" (CCS 2017), with double masking, and
// optionally the sparse graph of SecAgg+ (Bell et al., CCS 2020):
//
//   0. Each client makes two X25519 key pairs and advertises the public keys.
//   1. Each client draws a self-mask seed b_u and Shamir-shares it, and its
//      masking private key, among its neighbours and itself (threshold t);
//      each neighbour's shares are sealed with AES-256-GCM under a key agreed
//      with that neighbour, and the server forwards them.
//   2. Each client sends y_u = x_u + PRG(b_u) + sum_v +-PRG(s_uv) mod 2^32,
//      where s_uv is agreed with each neighbour v that sent it shares, added
//      by the smaller id and subtracted by the larger, so it cancels in the sum.
//   3. The server says which of each client's neighbours sent a masked input.
//      Each client reveals, per neighbour, the share of b_v (v survived) or of
//      v's masking key (v dropped), never both; the server rebuilds them,
//      removes the self masks of the survivors and the pairwise masks of
//      the dropped clients, and has the sum of the survivors' inputs.
//
// Primitives (OpenSSL 3, never home-made): X25519, HKDF-SHA-256 (every key
// is derived with the session id as salt and a label naming its purpose),
// AES-256-CTR as the PRG that expands seeds into masks, AES-256-GCM for the
// shares, OpenSSL's DRBG for secrets. Shamir sharing over Z_{2^31+11} is
// written here (shamir.hpp).
//
// What is protected, and against whom:
// - The server is honest but curious (semi-honest): it follows the protocol
//   and tries to learn from what it sees. It then learns only the sum of at
//   least Config::minimum_clients() inputs, whatever the dropouts. As in
//   Bonawitz et al.'s honest-but-curious analysis this holds also if it
//   colludes with some clients, as long as fewer than t of any client's
//   holders are among them (complete graph: fewer than t clients); the
//   colluders then learn the sum of the other survivors' inputs.
// - Not covered: an actively malicious server. The optional consistency-
//   check round of Bonawitz et al. (clients sign the list of survivors, so
//   the server cannot tell different clients different stories) is not
//   implemented, nor is any public-key infrastructure, so a lying server
//   can unmask a client of its choice with no colluder (config.hpp says
//   how); the majority threshold and the client's refusal to reveal both
//   shares of a peer stop only a server that follows the protocol. Malicious
//   clients can also send any input they like (there is no range proof) or
//   abort to make the session fail.
// - Who a message comes from is told by the transport, which must
//   authenticate the clients to the server (mutual TLS: another issue); the
//   server's own honesty about which public key belongs to which client is
//   likewise assumed (no PKI).
// - Sparse graphs (SecAgg+): the server learns the sum over each connected
//   group of survivors, so it aborts unless they are all connected. The
//   degree must be large enough for the dropout rate (each client needs t
//   surviving holders); see benchmarks/secure_aggregation.cpp for the
//   choices measured.
//
// Updates are encoded in fixed point (fixed_point.hpp): clipped, scaled,
// weighted, with the weight as an extra word, so that the server divides
// the unmasked sums and weighted FedAvg is preserved.
//
// Headers: types, errors, random_source, aes_ctr_prng, kdf, key_agreement,
// authenticated_encryption, shamir (primitives); fixed_point, graph,
// config, messages, message_codecs (the session); client, server (the two
// state machines); local_session (a whole session in one process).
#pragma once

#include "fedpp/secure_aggregation/client.hpp"
#include "fedpp/secure_aggregation/config.hpp"
#include "fedpp/secure_aggregation/fixed_point.hpp"
#include "fedpp/secure_aggregation/graph.hpp"
#include "fedpp/secure_aggregation/local_session.hpp"
#include "fedpp/secure_aggregation/message_codecs.hpp"
#include "fedpp/secure_aggregation/messages.hpp"
#include "fedpp/secure_aggregation/server.hpp"
// Between located parties: a SumOnlyAggregator and its data owners.
#include "fedpp/aggregation/secure_round.hpp"
