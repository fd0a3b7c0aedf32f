// fedpp::io: the header of a .npy array, a Python dict literal such as
//
//     {'descr': '<f4', 'fortran_order': False, 'shape': (16, 8), }
//
// The parser accepts exactly what numpy.load accepts for such a header
// (the three keys, each once, in any order; a string descr; True or False;
// a tuple of non-negative integers, "(n,)" for one dimension, "()" for a
// scalar; an optional trailing comma; whitespace; Python 2's "3L"), and
// nothing else: no expressions, escapes or comments. Failures are
// HeaderError (UnsupportedDtypeError for a structured, list descr) with
// the byte position in the member.
#pragma once

#include "fedpp/io/array.hpp"
#include "fedpp/io/errors.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fedpp::io::detail {

struct NpyHeader {
    std::string descr;
    std::size_t descr_at = 0; ///< position of the descr value, for messages
    bool fortran_order = false;
    std::size_t fortran_order_at = 0;
    Shape shape;
};

class NpyHeaderParser {
public:
    /// `text` starts at byte `base` of the member named by `where`.
    NpyHeaderParser(std::string_view text, std::size_t base, const std::string& where)
        : text_(text), base_(base), where_(where) {}

    NpyHeader parse() {
        NpyHeader header;
        bool seen[3] = {false, false, false};
        expect('{', "the header dict to start with '{'");
        while (!next_is('}')) {
            read_entry(header, seen);
            if (next_is(',')) {
                ++at_;
            } else if (!next_is('}')) {
                fail("expected ',' or '}' after a value");
            }
        }
        ++at_;
        skip_space();
        if (at_ != text_.size()) {
            fail("unexpected text after the header dict");
        }
        for (const bool found : seen) {
            if (!found) {
                fail("the header dict lacks 'descr', 'fortran_order' or 'shape'");
            }
        }
        return header;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw HeaderError(where_, base_ + at_, "bad .npy header: " + what);
    }

    void skip_space() {
        while (at_ < text_.size() &&
               (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
            ++at_;
        }
    }

    /// Skips whitespace; whether the next character is `c`.
    bool next_is(char c) {
        skip_space();
        return at_ < text_.size() && text_[at_] == c;
    }

    void expect(char c, const char* what) {
        if (!next_is(c)) {
            fail(std::string("expected ") + what);
        }
        ++at_;
    }

    std::string read_string() {
        skip_space();
        if (at_ >= text_.size() || (text_[at_] != '\'' && text_[at_] != '"')) {
            fail("expected a quoted string");
        }
        const char quote = text_[at_++];
        const std::size_t start = at_;
        while (at_ < text_.size() && text_[at_] != quote) {
            if (text_[at_] == '\\') {
                fail("escape sequences are not supported");
            }
            ++at_;
        }
        if (at_ >= text_.size()) {
            fail("unterminated string");
        }
        return std::string(text_.substr(start, at_++ - start));
    }

    bool read_bool() {
        skip_space();
        for (const std::string_view word : {"True", "False"}) {
            if (text_.substr(at_, word.size()) == word) {
                at_ += word.size();
                return word == "True";
            }
        }
        fail("expected True or False");
    }

    std::uint64_t read_integer() {
        skip_space();
        if (at_ >= text_.size() || text_[at_] < '0' || text_[at_] > '9') {
            fail("expected a non-negative integer");
        }
        std::uint64_t value = 0;
        while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
            const auto digit = static_cast<std::uint64_t>(text_[at_] - '0');
            if (value > (UINT64_MAX - digit) / 10) {
                fail("a dimension does not fit 64 bits");
            }
            value = value * 10 + digit;
            ++at_;
        }
        if (at_ < text_.size() && text_[at_] == 'L') {
            ++at_; // Python 2's long literal
        }
        return value;
    }

    Shape read_shape() {
        expect('(', "a shape tuple '('");
        Shape shape;
        bool trailing_comma = false;
        while (!next_is(')')) {
            shape.push_back(read_integer());
            trailing_comma = next_is(',');
            if (trailing_comma) {
                ++at_;
            } else if (!next_is(')')) {
                fail("expected ',' or ')' in the shape");
            }
        }
        if (shape.size() == 1 && !trailing_comma) {
            fail("the shape (n) is not a tuple: one dimension is written (n,)");
        }
        ++at_;
        return shape;
    }

    void read_entry(NpyHeader& header, bool (&seen)[3]) {
        const std::size_t key_at = at_;
        const std::string key = read_string();
        expect(':', "':' after a key");
        int index = -1;
        if (key == "descr") {
            index = 0;
            if (next_is('[')) {
                throw UnsupportedDtypeError(where_, base_ + at_, "structured dtypes (a list descr) are not supported");
            }
            header.descr_at = base_ + at_;
            header.descr = read_string();
        } else if (key == "fortran_order") {
            index = 1;
            skip_space();
            header.fortran_order_at = base_ + at_;
            header.fortran_order = read_bool();
        } else if (key == "shape") {
            index = 2;
            header.shape = read_shape();
        } else {
            at_ = key_at;
            fail("unknown key '" + key + "' (expected descr, fortran_order and shape)");
        }
        if (seen[index]) {
            at_ = key_at;
            fail("the key '" + key + "' appears twice");
        }
        seen[index] = true;
    }

    std::string_view text_;
    std::size_t base_;
    const std::string& where_;
    std::size_t at_ = 0;
};

inline NpyHeader parse_npy_header(std::string_view text, std::size_t base, const std::string& where) {
    return NpyHeaderParser(text, base, where).parse();
}

} // namespace fedpp::io::detail
