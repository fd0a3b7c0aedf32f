// A small "--name value" command-line reader for the examples: unknown
// options and malformed values are errors with a usage message, not
// silently ignored.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace examples {

/// A command line that cannot be used: main prints it with the usage and
/// exits with status 2.
class UsageError : public std::runtime_error {
public:
    UsageError(const std::string& message, std::string usage)
        : std::runtime_error(message), usage_(std::move(usage)) {}
    /// The program's options, to print after the message.
    [[nodiscard]] const std::string& usage() const noexcept { return usage_; }

private:
    std::string usage_;
};

class CommandLine {
public:
    /// The largest whole number count() accepts unless told otherwise: what
    /// fits a signed 64-bit size (fedpp::Index).
    static constexpr std::uint64_t max_count = std::numeric_limits<std::int64_t>::max();

    /// `options` maps each accepted option (without "--") to its help text.
    /// UsageError for an unknown option or one without a value.
    CommandLine(int argc, char** argv, std::map<std::string, std::string> options)
        : program_(argc > 0 ? argv[0] : "example"), help_(std::move(options)) {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                std::fputs(usage().c_str(), stdout);
                std::exit(0);
            }
            if (arg.rfind("--", 0) != 0 || help_.count(arg.substr(2)) == 0) {
                fail("unknown option '" + arg + "'");
            }
            const std::string name = arg.substr(2);
            if (i + 1 >= argc) {
                fail("option '" + arg + "' needs a value");
            }
            values_[name] = argv[++i];
        }
    }

    [[nodiscard]] bool has(const std::string& name) const { return values_.count(name) != 0; }

    std::string text(const std::string& name, const std::string& fallback) const {
        const auto it = values_.find(name);
        return it == values_.end() ? fallback : it->second;
    }

    /// The option's value as a number (nan and inf included: the caller's
    /// checks decide), or `fallback` if it was not given.
    double number(const std::string& name, double fallback) const {
        const auto it = values_.find(name);
        if (it == values_.end()) {
            return fallback;
        }
        char* end = nullptr;
        const double value = std::strtod(it->second.c_str(), &end);
        if (end == it->second.c_str() || *end != '\0') {
            fail("option '--" + name + "' needs a number, got '" + it->second + "'");
        }
        return value;
    }

    /// The option's value as a whole number from 0 to `max` (written as
    /// digits, or as a number such as 1e3), or `fallback` if it was not given.
    std::uint64_t count(const std::string& name, std::uint64_t fallback, std::uint64_t max = max_count) const {
        const auto it = values_.find(name);
        if (it == values_.end()) {
            return fallback;
        }
        const std::string& text = it->second;
        const auto bad = [&] {
            fail("option '--" + name + "' needs a whole number from 0 to " + std::to_string(max) + ", got '" + text +
                 "'");
        };
        if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
            errno = 0;
            const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
            if (errno == ERANGE || value > max) {
                bad();
            }
            return value;
        }
        const double value = number(name, 0);
        // Compared as doubles before any conversion: NaN, negatives,
        // fractions and values beyond 2^64 never reach a cast.
        if (!(value >= 0 && value < 0x1p64) || value != std::floor(value) ||
            static_cast<std::uint64_t>(value) > max) {
            bad();
        }
        return static_cast<std::uint64_t>(value);
    }

    /// Throws UsageError: main prints `message` and the usage, and exits 2.
    [[noreturn]] void fail(const std::string& message) const { throw UsageError(message, usage()); }

    [[nodiscard]] std::string usage() const {
        std::string text = "usage: " + program_ + " [options]\n";
        for (const auto& [name, help] : help_) {
            char line[64];
            std::snprintf(line, sizeof line, "  --%-14s ", name.c_str());
            text += line + help + "\n";
        }
        return text;
    }

private:
    std::string program_;
    std::map<std::string, std::string> help_;
    std::map<std::string, std::string> values_;
};

} // namespace examples
