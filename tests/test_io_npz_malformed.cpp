// Malformed .npz files (zip structures, deflate data, .npy members): every
// class of damage gives its typed fedpp::io error with the byte position,
// and no input crashes the reader. (It is also fuzzed: fuzz/fuzz_npz.cpp.)
#include "io_malformed.hpp"
#include "io_support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace io = fedpp::io;
using fedpp::Bytes;
using io_test::bytes_of;
using io_test::corrupt_every_byte;
using io_test::put_le;
using io_test::thrown;

namespace {
template <class E>
E npz_error(const Bytes& file) {
    return thrown<E>([&] { (void)io::read_npz(file, "t.npz"); });
}

/// An .npz whose only member "0.weight.npy" holds `member`.
Bytes npz_with(const Bytes& member, const std::string& name = "0.weight.npy") {
    fedpp::io::detail::ZipWriter zip;
    zip.add(name, member);
    return std::move(zip).finish();
}

/// A version 1.0 .npy member with the header text `header` and `data_size`
/// data bytes.
Bytes npy_with(const std::string& header, std::size_t data_size) {
    Bytes member = bytes_of(std::string("\x93NUMPY\x01\x00", 8));
    member.resize(10);
    put_le(member, 8, 2, header.size());
    const auto text = bytes_of(header);
    member.insert(member.end(), text.begin(), text.end());
    member.resize(member.size() + data_size);
    return member;
}
} // namespace

TEST_CASE("io: truncated npz files", "[io][malformed]") {
    const Bytes good = io::npz_to_bytes(io_test::small_model(1));
    for (std::size_t length = 0; length < good.size(); ++length) {
        INFO("truncated to " << length << " bytes");
        const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length));
        if (length < 4) {
            CHECK_THAT(npz_error<io::ZipError>(cut).what(), Catch::Contains("not a zip file"));
        } else {
            CHECK(npz_error<io::TruncatedError>(cut).position() == length);
        }
    }
}

TEST_CASE("io: bad zip structures in an npz", "[io][malformed]") {
    const Bytes good = io::npz_to_bytes(io_test::small_model(1));
    const std::size_t end = good.size() - 22;
    const std::size_t directory = io_test::get_le(good, end + 16, 4);
    const auto bad = [&](std::size_t at, std::size_t width, std::uint64_t value) {
        Bytes file = good;
        put_le(file, at, width, value);
        return npz_error<io::ZipError>(file);
    };
    CHECK_THAT(npz_error<io::ZipError>(Bytes(100, std::byte{'x'})).what(), Catch::Contains("not a zip file"));
    CHECK_THAT(bad(end + 16, 4, good.size()).what(), Catch::Contains("runs past its end record"));
    Bytes many = good;
    put_le(many, end + 8, 2, 1000);
    put_le(many, end + 10, 2, 1000);
    CHECK_THAT(npz_error<io::ZipError>(many).what(), Catch::Contains("cannot fit a central directory"));
    CHECK_THAT(bad(end + 10, 2, 3).what(), Catch::Contains("several disks"));
    CHECK_THAT(bad(end + 4, 2, 1).what(), Catch::Contains("several disks"));
    CHECK_THAT(bad(end + 10, 2, 0xFFFF).what(), Catch::Contains("no zip64 locator"));
    CHECK(bad(directory, 4, 0).position() == directory);
    CHECK_THAT(bad(directory + 10, 2, 12).what(), Catch::Contains("compression method 12"));
    CHECK_THAT(bad(directory + 8, 2, 1).what(), Catch::Contains("is encrypted"));
    CHECK_THAT(bad(0, 4, 0).what(), Catch::Contains("no local header at byte 0"));
    CHECK_THAT(bad(30, 1, 'x').what(), Catch::Contains("the local header names another member"));
    CHECK_THAT(bad(directory + 42, 4, directory).what(), Catch::Contains("no local header"));
    const std::uint64_t stored = io_test::get_le(good, directory + 20, 4);
    CHECK_THAT(bad(directory + 20, 4, stored + 10).what(), Catch::Contains("overlaps member '0.weight.npy'"));
    CHECK_THAT(bad(directory + 24, 4, stored + 1).what(), Catch::Contains("different compressed"));
    CHECK_THAT(bad(directory + 30, 2, 1000).what(), Catch::Contains("runs past the directory"));

    fedpp::io::detail::ZipWriter twice;
    twice.add("a.npy", bytes_of("x"));
    twice.add("a.npy", bytes_of("y"));
    CHECK_THAT(npz_error<io::ZipError>(std::move(twice).finish()).what(), Catch::Contains("two members are named"));
    CHECK_THAT(npz_error<io::ZipError>(npz_with(bytes_of("text"), "readme.txt")).what(),
               Catch::Contains("not a .npy array"));
}

TEST_CASE("io: an npz member whose CRC-32 does not match", "[io][malformed]") {
    Bytes file = io::npz_to_bytes(io_test::small_model(1));
    const std::size_t data_at = 30 + io_test::get_le(file, 26, 2);
    const std::size_t last = data_at + io_test::get_le(file, 18, 4) - 1; // the last byte of the first member
    file[last] ^= std::byte{0x01};
    const auto e = npz_error<io::ChecksumError>(file);
    CHECK(e.position() == data_at);
    CHECK_THAT(e.what(), Catch::Contains("member '0.weight.npy': CRC-32 mismatch"));
}

TEST_CASE("io: compressed npz members, intact and damaged", "[io][malformed]") {
    const auto model = io_test::small_model(1);
    const Bytes good = io::npz_to_bytes(model, /*compress=*/true);
    CHECK(io_test::get_le(good, 8, 2) == 8); // deflate
    auto loaded = io_test::small_model(2);
    io::load_npz_bytes(good, loaded, "deflated");
    CHECK(io_test::bitwise_equal(model, loaded));

    const std::size_t directory = io_test::get_le(good, good.size() - 22 + 16, 4);
    const std::uint64_t compressed = io_test::get_le(good, directory + 20, 4);
    const std::uint64_t size = io_test::get_le(good, directory + 24, 4);
    const auto bad = [&](std::size_t at, std::size_t width, std::uint64_t value) {
        Bytes file = good;
        put_le(file, at, width, value);
        return npz_error<io::ZipError>(file);
    };
    const std::size_t data_at = 30 + io_test::get_le(good, 26, 2);
    CHECK_THAT(bad(data_at, 1, 0xFF).what(), Catch::Contains("corrupt deflate data"));
    CHECK_THAT(bad(directory + 20, 4, compressed / 2).what(), Catch::Contains("cut short"));
    CHECK_THAT(bad(directory + 24, 4, size + 1).what(),
               Catch::Contains(std::string("the zip directory announces ") + std::to_string(size + 1)));
    CHECK_THAT(bad(directory + 24, 4, size - 1).what(), Catch::Contains("inflates to ") &&
                                                            Catch::Contains(std::to_string(size - 1)) &&
                                                            Catch::Contains("announces"));
    CHECK_THAT(bad(directory + 24, 4, 0xFFFFFFF0).what(), Catch::Contains("more than deflate can produce"));
}

TEST_CASE("io: an npz with zip64 end records loads", "[io]") {
    const auto model = io_test::small_model(1);
    const Bytes good = io::npz_to_bytes(model);
    const std::size_t end = good.size() - 22;
    Bytes file(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(end));
    const std::size_t record = file.size();
    file.resize(record + 56 + 20 + 22);
    put_le(file, record, 4, 0x06064b50);
    put_le(file, record + 4, 8, 44); // the record's size after this field
    put_le(file, record + 12, 2, 45);
    put_le(file, record + 14, 2, 45);
    put_le(file, record + 24, 8, 4);
    put_le(file, record + 32, 8, 4);
    put_le(file, record + 40, 8, io_test::get_le(good, end + 12, 4));
    put_le(file, record + 48, 8, io_test::get_le(good, end + 16, 4));
    put_le(file, record + 56, 4, 0x07064b50);
    put_le(file, record + 64, 8, record);
    put_le(file, record + 72, 4, 1);
    const std::size_t new_end = record + 76;
    put_le(file, new_end, 4, 0x06054b50);
    put_le(file, new_end + 8, 2, 0xFFFF);
    put_le(file, new_end + 10, 2, 0xFFFF);
    put_le(file, new_end + 12, 4, 0xFFFFFFFF);
    put_le(file, new_end + 16, 4, 0xFFFFFFFF);
    auto loaded = io_test::small_model(2);
    io::load_npz_bytes(file, loaded, "zip64");
    CHECK(io_test::bitwise_equal(model, loaded));
    put_le(file, record + 64, 8, record + 1);
    CHECK_THAT(npz_error<io::ZipError>(file).what(), Catch::Contains("points to no zip64 end record"));
}

TEST_CASE("io: bad .npy headers in an npz", "[io][malformed]") {
    const std::string good_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    const std::string where = "t.npz: member '0.weight.npy'";
    REQUIRE(io::read_npz(npz_with(npy_with(good_header, 12)), "t.npz").front().shape == io::Shape{3});
    const auto header_error = [&](const std::string& header, std::size_t data = 12) {
        return npz_error<io::HeaderError>(npz_with(npy_with(header, data)));
    };
    const std::vector<std::pair<std::string, std::string>> cases{
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", "one dimension is written (n,)"},
        {"{'descr': '<f4', 'fortran_order': False}", "lacks 'descr', 'fortran_order' or 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", "unknown key 'x'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", "appears twice"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (3,)}", "expected ',' or '}'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } x", "unexpected text"},
        {"{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}", "expected True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [3]}", "a shape tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}", "non-negative integer"},
        {"{'descr': '<\\x66\\x34', 'fortran_order': False, 'shape': (3,)}", "escape sequences"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "does not fit 64 bits"},
        {"['descr', '<f4']", "expected the header dict"},
    };
    for (const auto& [header, message] : cases) {
        INFO(header);
        const auto e = header_error(header);
        CHECK_THAT(e.what(), Catch::Contains(where) && Catch::Contains(message));
    }
    CHECK(header_error("{'descr': '<f4', 'x': 1}").position() == 10 + 17);

    const auto e = header_error("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }");
    CHECK_THAT(e.what(), Catch::Contains("fortran_order is True"));
    CHECK(e.position() == 10 + 34);
    Bytes member = npy_with(good_header, 12);
    member[1] = std::byte{'X'};
    CHECK(npz_error<io::HeaderError>(npz_with(member)).position() == 0);
    member = npy_with(good_header, 12);
    member[6] = std::byte{4};
    CHECK_THAT(npz_error<io::HeaderError>(npz_with(member)).what(), Catch::Contains("version 4.0"));
    member = npy_with(good_header, 0);
    put_le(member, 8, 2, good_header.size() + 1);
    CHECK(npz_error<io::TruncatedError>(npz_with(member)).position() == 8);
    CHECK(npz_error<io::TruncatedError>(npz_with(Bytes(member.begin(), member.begin() + 5))).position() == 5);
}

TEST_CASE("io: npy dtypes other than <f4, <f8 and <f2", "[io][malformed]") {
    for (const std::string descr : {"'<i4'", "'>f4'", "'|u1'", "'>f2'", "'<f16'", "'f4'", "[('a', '<f4')]"}) {
        INFO(descr);
        const auto header = "{'descr': " + descr + ", 'fortran_order': False, 'shape': (3,), }";
        CHECK(npz_error<io::UnsupportedDtypeError>(npz_with(npy_with(header, 12))).position() == 10 + 10);
    }
}

TEST_CASE("io: npy shapes that do not match their bytes", "[io][malformed]") {
    for (const std::size_t data : {std::size_t{8}, std::size_t{16}, std::size_t{0}}) {
        const auto header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
        CHECK_THAT(npz_error<io::SizeMismatchError>(npz_with(npy_with(header, data))).what(),
                   Catch::Contains(std::string("needs 12 bytes of data, the array has ") + std::to_string(data)));
    }
    const auto huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
    CHECK_THAT(npz_error<io::SizeMismatchError>(npz_with(npy_with(huge, 8))).what(), Catch::Contains("more than 2^64"));
}

TEST_CASE("io: no single-byte change of an npz file crashes the reader", "[io][malformed]") {
    const auto model = io_test::small_model(1);
    corrupt_every_byte(io::npz_to_bytes(model), true);
    corrupt_every_byte(io::npz_to_bytes(model, /*compress=*/true), true);
}
