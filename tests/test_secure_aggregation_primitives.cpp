// Secure aggregation: the cryptographic building blocks (OpenSSL wrappers
// checked against published test vectors) and Shamir secret sharing.
#include "secure_aggregation_helpers.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

using namespace fedpp;
using namespace fedpp::secagg;
using fedpp::test::from_hex;
using fedpp::test::secret_from_hex;

TEST_CASE("secagg X25519: the key pairs and shared secret of RFC 7748, section 6.1", "[secagg]") {
    const X25519KeyPair alice(secret_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    const X25519KeyPair bob(secret_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    const auto alice_public = from_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    const auto bob_public = from_hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    CHECK(std::equal(alice.public_key().begin(), alice.public_key().end(), alice_public.begin()));
    CHECK(std::equal(bob.public_key().begin(), bob.public_key().end(), bob_public.begin()));
    const Secret32 expected = secret_from_hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    CHECK(alice.agree(bob.public_key()) == expected);
    CHECK(bob.agree(alice.public_key()) == expected);
}

TEST_CASE("secagg X25519: a public key of small order is refused", "[secagg]") {
    const X25519KeyPair alice(secret_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    const PublicKey zero{}; // the point of order 4 encoded as 0: the shared secret would be all zeros
    CHECK_THROWS_AS(alice.agree(zero), CryptoError);
}

TEST_CASE("secagg HKDF-SHA-256: RFC 5869 test case 1", "[secagg]") {
    const auto ikm = from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    const auto salt = from_hex("000102030405060708090a0b0c");
    const auto info = from_hex("f0f1f2f3f4f5f6f7f8f9");
    std::vector<std::uint8_t> okm(42);
    hkdf_sha256(ikm, salt, info, okm);
    CHECK(okm == from_hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"));
}

namespace {
/// AES-256-ECB of `blocks` (a multiple of 16 bytes): the reference the CTR
/// keystream is checked against.
std::vector<std::uint8_t> aes_256_ecb(const Secret32& key, const std::vector<std::uint8_t>& blocks) {
    std::vector<std::uint8_t> out(blocks.size() + 16);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    REQUIRE(EVP_EncryptInit_ex(ctx, EVP_aes_256_ecb(), nullptr, key.data(), nullptr) == 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    int written = 0;
    REQUIRE(EVP_EncryptUpdate(ctx, out.data(), &written, blocks.data(), static_cast<int>(blocks.size())) == 1);
    EVP_CIPHER_CTX_free(ctx);
    out.resize(blocks.size());
    return out;
}
} // namespace

TEST_CASE("secagg AES-CTR PRG: the keystream is AES-256 of the counter blocks 0, 1, 2", "[secagg]") {
    const Secret32 key = secret_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    // The reference is AES-256 itself: FIPS-197 appendix C.3.
    REQUIRE(aes_256_ecb(key, from_hex("00112233445566778899aabbccddeeff")) ==
            from_hex("8ea2b7ca516745bfeafc49904b496089"));
    std::vector<std::uint8_t> counters(48, 0);
    counters[31] = 1;
    counters[47] = 2;
    std::vector<std::uint8_t> stream(48);
    AesCtrPrng(key).generate(stream);
    CHECK(stream == aes_256_ecb(key, counters));
}

TEST_CASE("secagg AES-CTR PRG: words are added and subtracted mod 2^32, and streams differ by key", "[secagg]") {
    const Secret32 key_a = secret_from_hex("0101010101010101010101010101010101010101010101010101010101010101");
    const Secret32 key_b = secret_from_hex("0202020202020202020202020202020202020202020202020202020202020202");
    std::vector<std::uint32_t> words(10'000);
    std::iota(words.begin(), words.end(), 0u);
    const auto original = words;
    AesCtrPrng(key_a).add_to(words);
    CHECK(words != original);
    auto twice = original;
    AesCtrPrng(key_a).add_to(twice);
    CHECK(twice == words); // deterministic
    AesCtrPrng(key_a).subtract_from(words);
    CHECK(words == original);
    std::vector<std::uint8_t> a(64), b(64);
    AesCtrPrng(key_a).generate(a);
    AesCtrPrng(key_b).generate(b);
    CHECK(a != b);
    // Generating in pieces continues the same stream.
    std::vector<std::uint8_t> whole(100), pieces(100);
    AesCtrPrng(key_a).generate(whole);
    AesCtrPrng piecewise(key_a);
    piecewise.generate(std::span(pieces).first(37));
    piecewise.generate(std::span(pieces).subspan(37));
    CHECK(whole == pieces);
}

TEST_CASE("secagg AES-256-GCM: round trip, and any change is detected", "[secagg]") {
    const AesGcm aead(secret_from_hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"));
    const AesGcm other(secret_from_hex("00ffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"));
    const AesGcm::Nonce nonce{1, 2, 3};
    AesGcm::Nonce other_nonce = nonce;
    other_nonce[11] = 1;
    const std::vector<std::uint8_t> aad{9, 8, 7};
    const std::vector<std::uint8_t> message{'s', 'h', 'a', 'r', 'e', 's'};
    const auto sealed = aead.seal(nonce, aad, message);
    REQUIRE(sealed.size() == message.size() + AesGcm::tag_size);
    CHECK(aead.open(nonce, aad, sealed) == message);
    auto flipped = sealed;
    flipped[0] ^= 1;
    CHECK_FALSE(aead.open(nonce, aad, flipped));
    auto bad_tag = sealed;
    bad_tag.back() ^= 0x80;
    CHECK_FALSE(aead.open(nonce, aad, bad_tag));
    CHECK_FALSE(aead.open(other_nonce, aad, sealed));
    CHECK_FALSE(aead.open(nonce, std::vector<std::uint8_t>{9, 8}, sealed));
    CHECK_FALSE(other.open(nonce, aad, sealed));
    CHECK_FALSE(aead.open(nonce, aad, std::span(sealed).first(10)));
}

TEST_CASE("secagg random sources: seeded streams repeat, OS randomness does not", "[secagg]") {
    SeededRandom a(7), b(7), c(8);
    CHECK(a.secret() == b.secret());
    CHECK_FALSE(a.secret() == c.secret());
    OsRandom os;
    CHECK_FALSE(os.secret() == os.secret());
}

namespace {
std::vector<std::uint8_t> random_bytes(std::size_t count, std::mt19937& gen) {
    std::vector<std::uint8_t> bytes(count);
    for (auto& b : bytes) {
        b = static_cast<std::uint8_t>(gen());
    }
    return bytes;
}
} // namespace

TEST_CASE("secagg Shamir: any t of n shares rebuild the secret", "[secagg]") {
    std::mt19937 gen(1);
    SeededRandom random(11);
    for (const auto& [t, n] : std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {1, 3}, {2, 2}, {2, 3},
                                                                               {3, 5}, {7, 12}, {26, 50}}) {
        const auto secret = random_bytes(32, gen);
        std::vector<std::uint32_t> xs(n);
        std::iota(xs.begin(), xs.end(), 1u);
        std::shuffle(xs.begin(), xs.end(), gen); // any distinct nonzero x-coordinates
        auto shares = ShamirSecretSharing::share(secret, t, xs, random);
        REQUIRE(shares.size() == n);
        for (int trial = 0; trial < 5; ++trial) {
            std::shuffle(shares.begin(), shares.end(), gen);
            CHECK(ShamirSecretSharing::reconstruct(shares, t, 32) == secret);
        }
    }
}

TEST_CASE("secagg Shamir: cached Lagrange coefficients are reused only for the same holders", "[secagg]") {
    std::mt19937 gen(2);
    SeededRandom random(10);
    const std::vector<std::uint32_t> xs{3, 1, 4, 15, 9};
    LagrangeCache cache;
    for (int secret_index = 0; secret_index < 4; ++secret_index) {
        const auto secret = random_bytes(32, gen);
        auto shares = ShamirSecretSharing::share(secret, 3, xs, random);
        if (secret_index % 2 == 1) {
            std::rotate(shares.begin(), shares.begin() + 2, shares.end()); // other holders answer
        }
        CHECK(ShamirSecretSharing::reconstruct(shares, 3, 32, &cache) == secret);
        CHECK(cache.xs == std::vector<std::uint32_t>{shares[0].x, shares[1].x, shares[2].x});
    }
}

TEST_CASE("secagg Shamir: secrets of any length, including all-ones bytes", "[secagg]") {
    SeededRandom random(12);
    const std::vector<std::uint32_t> xs{5, 9, 1000000, 2147483658u}; // the largest x is p - 1
    for (std::size_t length : {0u, 1u, 3u, 4u, 31u, 32u, 33u, 100u}) {
        const std::vector<std::uint8_t> secret(length, 0xFF);
        const auto shares = ShamirSecretSharing::share(secret, 3, xs, random);
        CHECK(shares[0].values.size() == ShamirSecretSharing::pieces_for(length));
        CHECK(ShamirSecretSharing::reconstruct(std::span(shares).subspan(1), 3, length) == secret);
    }
}

TEST_CASE("secagg Shamir: t - 1 shares are consistent with every secret", "[secagg]") {
    // Information-theoretic hiding: for the t - 1 shares one holds and ANY
    // candidate secret there is a polynomial of degree t - 1 through both, so
    // the shares rule nothing out. Shown by interpolating through (0, candidate)
    // and the t - 1 shares, and checking that the resulting t-th share
    // rebuilds the candidate along with them.
    std::mt19937 gen(3);
    SeededRandom random(13);
    const std::size_t t = 4;
    const std::vector<std::uint32_t> xs{1, 2, 3, 4, 5, 6};
    const auto secret = random_bytes(32, gen);
    const auto shares = ShamirSecretSharing::share(secret, t, xs, random);
    const std::vector<ShamirShare> known(shares.begin(), shares.begin() + (t - 1));
    for (int candidate_index = 0; candidate_index < 3; ++candidate_index) {
        const auto candidate = random_bytes(32, gen);
        // The candidate's 31-bit pieces: a threshold-1 sharing is the constant
        // polynomial, so its share holds exactly the pieces.
        const auto pieces = ShamirSecretSharing::share(candidate, 1, std::vector<std::uint32_t>{7}, random)[0].values;
        const std::uint64_t prime = ShamirSecretSharing::prime;
        auto mul = [&](std::uint64_t a, std::uint64_t b) { return a * b % prime; };
        auto inv = [&](std::uint64_t a) {
            std::uint64_t r = 1;
            for (std::uint64_t e = prime - 2; e != 0; e >>= 1, a = mul(a, a)) {
                if ((e & 1) != 0) {
                    r = mul(r, a);
                }
            }
            return r;
        };
        // The polynomial through (0, piece), (1, .), (2, .), (3, .), evaluated at x = 6.
        ShamirShare fake{6, {}};
        const std::vector<std::uint64_t> nodes{0, 1, 2, 3};
        for (std::size_t p = 0; p < pieces.size(); ++p) {
            const std::vector<std::uint64_t> values{pieces[p], known[0].values[p], known[1].values[p],
                                                    known[2].values[p]};
            std::uint64_t at6 = 0;
            for (std::size_t i = 0; i < 4; ++i) {
                std::uint64_t basis = 1;
                for (std::size_t j = 0; j < 4; ++j) {
                    if (j != i) {
                        basis = mul(basis, mul((6 + prime - nodes[j]) % prime, inv((nodes[i] + prime - nodes[j]) % prime)));
                    }
                }
                at6 = (at6 + mul(basis, values[i])) % prime;
            }
            fake.values.push_back(static_cast<std::uint32_t>(at6));
        }
        std::vector<ShamirShare> with_fake = known;
        with_fake.push_back(fake);
        CHECK(ShamirSecretSharing::reconstruct(with_fake, t, 32) == candidate);
    }
}

TEST_CASE("secagg Shamir: one share more than t is checked, and a corrupted share among them is refused",
          "[secagg]") {
    SeededRandom random(15);
    std::mt19937 gen(4);
    const auto secret = random_bytes(32, gen);
    const std::vector<std::uint32_t> xs{2, 7, 1, 9, 4};
    const auto shares = ShamirSecretSharing::share(secret, 3, xs, random);
    LagrangeCache cache;
    CHECK(ShamirSecretSharing::reconstruct(std::span(shares).first(4), 3, 32, &cache) == secret); // the twin
    CHECK(cache.check_x == shares[3].x);
    for (std::size_t wrong = 0; wrong < 4; ++wrong) { // any one of the t + 1, in any piece
        for (const std::size_t piece : {std::size_t{0}, std::size_t{8}}) {
            auto corrupted = std::vector<ShamirShare>(shares.begin(), shares.begin() + 4);
            corrupted[wrong].values[piece] = (corrupted[wrong].values[piece] + 1) % ShamirSecretSharing::prime;
            CHECK_THROWS_MATCHES(ShamirSecretSharing::reconstruct(corrupted, 3, 32, &cache), ArgumentError,
                                 Catch::Matchers::Message(
                                     "ShamirSecretSharing::reconstruct: the shares are inconsistent (the share at "
                                     "x = " + std::to_string(shares[3].x) + " does not lie on the polynomial of the "
                                     "3 before it)"));
        }
    }
    // A share of another secret at the next x, and the next share at an x already used, are refused too.
    const auto other = ShamirSecretSharing::share(random_bytes(32, gen), 3, xs, random);
    CHECK_THROWS_AS(ShamirSecretSharing::reconstruct(std::vector<ShamirShare>{shares[0], shares[1], shares[2], other[3]},
                                                     3, 32),
                    ArgumentError);
    auto repeated = std::vector<ShamirShare>(shares.begin(), shares.begin() + 4);
    repeated[3].x = repeated[0].x;
    CHECK_THROWS_AS(ShamirSecretSharing::reconstruct(repeated, 3, 32), ArgumentError);
    // Only the first t + 1 are read: a sixth share, however wrong, is not.
    auto extra = shares;
    extra[4].values.assign(extra[4].values.size(), 0);
    CHECK(ShamirSecretSharing::reconstruct(extra, 3, 32) == secret);
}

TEST_CASE("secagg Shamir: too few shares, repeated or zero x, wrong sizes are refused", "[secagg]") {
    SeededRandom random(14);
    const std::vector<std::uint8_t> secret(32, 0x5A);
    const std::vector<std::uint32_t> xs{1, 2, 3, 4, 5};
    auto shares = ShamirSecretSharing::share(secret, 3, xs, random);
    CHECK_THROWS_AS(ShamirSecretSharing::reconstruct(std::span(shares).first(2), 3, 32), ArgumentError);
    auto repeated = shares;
    repeated[1].x = repeated[0].x;
    CHECK_THROWS_AS(ShamirSecretSharing::reconstruct(repeated, 3, 32), ArgumentError);
    auto zero = shares;
    zero[0].x = 0;
    CHECK_THROWS_AS(ShamirSecretSharing::reconstruct(zero, 3, 32), ArgumentError);
    auto short_share = shares;
    short_share[0].values.pop_back();
    CHECK_THROWS_AS(ShamirSecretSharing::reconstruct(short_share, 3, 32), ArgumentError);
    auto not_field = shares;
    not_field[0].values[0] = 0xFFFFFFFF;
    CHECK_THROWS_AS(ShamirSecretSharing::reconstruct(not_field, 3, 32), ArgumentError);
    CHECK_THROWS_AS(ShamirSecretSharing::share(secret, 0, xs, random), ArgumentError);
    CHECK_THROWS_AS(ShamirSecretSharing::share(secret, 6, xs, random), ArgumentError);
    CHECK_THROWS_AS(ShamirSecretSharing::share(secret, 2, std::vector<std::uint32_t>{1, 1}, random), ArgumentError);
    // With t - 1 shares "reconstructing" at a lower threshold gives a wrong
    // value (almost always one that does not even fit 32 bytes).
    bool wrong = false;
    try {
        wrong = ShamirSecretSharing::reconstruct(std::span(shares).first(2), 2, 32) != secret;
    } catch (const ArgumentError&) {
        wrong = true;
    }
    CHECK(wrong);
}

TEST_CASE("secagg graphs: complete, and random Harary graphs that are regular and symmetric", "[secagg]") {
    const auto complete = NeighbourGraph::complete(5);
    CHECK(complete.degree() == 4);
    CHECK(complete.adjacent(0, 4));
    SeededRandom random(15);
    for (const std::uint32_t n : {7u, 50u, 301u}) {
        for (const std::uint32_t k : {2u, 4u, 10u}) {
            const auto graph = NeighbourGraph::random_harary(n, k, random);
            std::set<std::pair<ClientId, ClientId>> edges;
            for (ClientId u = 0; u < n; ++u) {
                const auto list = graph.neighbours(u);
                CHECK(list.size() == std::min(k, n - 1));
                CHECK(std::is_sorted(list.begin(), list.end()));
                for (const ClientId v : list) {
                    CHECK(v != u);
                    CHECK(graph.adjacent(v, u));
                }
            }
            CHECK(graph.connected(std::vector<bool>(n, true)));
        }
    }
    SeededRandom same_a(16), same_b(16);
    const auto a = NeighbourGraph::random_harary(40, 6, same_a);
    const auto b = NeighbourGraph::random_harary(40, 6, same_b);
    for (ClientId u = 0; u < 40; ++u) {
        CHECK(std::ranges::equal(a.neighbours(u), b.neighbours(u)));
    }
    CHECK_THROWS_AS(NeighbourGraph::random_harary(40, 3, random), ArgumentError);
    CHECK_THROWS_AS(NeighbourGraph::complete(1), ArgumentError);
}

TEST_CASE("secagg graphs: a cycle loses connectivity when two non-adjacent clients leave", "[secagg]") {
    SeededRandom random(17);
    const auto cycle = NeighbourGraph::random_harary(10, 2, random);
    std::vector<bool> members(10, true);
    members[0] = false;
    CHECK(cycle.connected(members));
    // A client at distance 2 from client 0 along the cycle: removing both
    // leaves two arcs.
    const ClientId next = cycle.neighbours(0)[0];
    const ClientId after = cycle.neighbours(next)[0] == 0 ? cycle.neighbours(next)[1] : cycle.neighbours(next)[0];
    members[after] = false;
    CHECK_FALSE(cycle.connected(members));
}

TEST_CASE("secagg graphs: the degree that survives a dropout rate", "[secagg]") {
    // Checked against the exact binomial tails (computed separately): with 500
    // clients and a failure chance of 1e-6, 10% dropout needs degree 36 and
    // 30% needs 204; the complete graph when nothing smaller will do.
    CHECK(NeighbourGraph::degree_for(500, 0.10, 1e-6) == 36);
    CHECK(NeighbourGraph::degree_for(500, 0.30, 1e-6) == 204);
    CHECK(NeighbourGraph::degree_for(500, 0.05, 1e-6) == 24);
    CHECK(NeighbourGraph::degree_for(20, 0.30, 1e-6) == 19);
    CHECK(NeighbourGraph::degree_for(500, 0.0, 1e-6) == 2);
    // The floor of a sparse graph's degree for security: 4 ceil(log2 n), or
    // the complete graph.
    CHECK(NeighbourGraph::minimum_degree(100) == 28);
    CHECK(NeighbourGraph::minimum_degree(500) == 36);
    CHECK(NeighbourGraph::minimum_degree(1000) == 40);
    CHECK(NeighbourGraph::minimum_degree(12) == 11);
    CHECK(NeighbourGraph::minimum_degree(2) == 1);
}
