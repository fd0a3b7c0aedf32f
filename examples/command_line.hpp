// A small "--name value" command-line reader for the examples: unknown
// options and malformed values are errors with a usage message, not
// silently ignored.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

namespace examples {

class CommandLine {
public:
    /// `options` maps each accepted option (without "--") to its help text.
    CommandLine(int argc, char** argv, std::map<std::string, std::string> options)
        : program_(argc > 0 ? argv[0] : "example"), help_(std::move(options)) {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                usage(stdout);
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

    std::string text(const std::string& name, const std::string& fallback) const {
        const auto it = values_.find(name);
        return it == values_.end() ? fallback : it->second;
    }

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

    std::size_t count(const std::string& name, std::size_t fallback) const {
        const double value = number(name, static_cast<double>(fallback));
        if (value < 0 || value != static_cast<double>(static_cast<std::size_t>(value))) {
            fail("option '--" + name + "' needs a whole number >= 0");
        }
        return static_cast<std::size_t>(value);
    }

    [[noreturn]] void fail(const std::string& message) const {
        std::fprintf(stderr, "%s: %s\n", program_.c_str(), message.c_str());
        usage(stderr);
        std::exit(2);
    }

private:
    void usage(std::FILE* out) const {
        std::fprintf(out, "usage: %s [options]\n", program_.c_str());
        for (const auto& [name, help] : help_) {
            std::fprintf(out, "  --%-14s %s\n", name.c_str(), help.c_str());
        }
    }

    std::string program_;
    std::map<std::string, std::string> help_;
    std::map<std::string, std::string> values_;
};

} // namespace examples
