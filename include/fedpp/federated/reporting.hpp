// fedpp: watching a federated run: one progress line per round for a person,
// and the same metrics as CSV for plotting.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/federated/metrics.hpp"

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

namespace fedpp::federated {

/// One line per round on `out`, e.g.
///   round   12/100  clients 10/10  train loss 0.2345  test acc 95.12%  round 0.31 s  elapsed 3.9 s
/// (with the number of clients left out, and why the round failed, if so).
inline std::function<void(const RoundMetrics&)> progress_printer(std::FILE* out, std::size_t total_rounds) {
    return [out, total_rounds](const RoundMetrics& m) {
        std::fprintf(out, "round %5zu/%zu  clients %zu/%zu  train loss %.4f  test acc %6.2f%%  round %.2f s  elapsed %.1f s",
                     m.round, total_rounds, m.clients_aggregated, m.clients_selected, m.train_loss,
                     100.0 * m.test_accuracy, m.round_seconds, m.elapsed_seconds);
        if (!m.failures.empty()) {
            std::fprintf(out, "  (%zu clients left out)", m.failures.size());
        }
        if (!m.aggregated) {
            std::fprintf(out, "  NOT AGGREGATED: %s", m.round_error.c_str());
        }
        std::fprintf(out, "\n");
        std::fflush(out);
    };
}

/// Writes one CSV row per round (and the header first), flushed after each
/// row so a crashed run keeps what it did.
class CsvMetricsWriter {
public:
    /// ArgumentError if `path` cannot be opened for writing.
    explicit CsvMetricsWriter(const std::string& path) : out_(std::make_shared<std::ofstream>(path)) {
        if (!*out_) {
            throw ArgumentError("CsvMetricsWriter: cannot open '" + path + "' for writing");
        }
        *out_ << "round,clients_selected,clients_aggregated,examples,aggregated,train_loss,test_loss,"
                 "test_accuracy,round_seconds,elapsed_seconds,failures,failure_reasons\n";
        out_->flush();
    }

    void operator()(const RoundMetrics& m) const {
        std::string reasons;
        for (const auto& failure : m.failures) {
            reasons += (reasons.empty() ? "" : "; ") + ("client " + std::to_string(failure.client) + ": ") +
                       failure.reason;
        }
        if (!m.round_error.empty()) {
            reasons += (reasons.empty() ? "" : "; ") + m.round_error;
        }
        *out_ << m.round << ',' << m.clients_selected << ',' << m.clients_aggregated << ',' << m.examples << ','
              << (m.aggregated ? 1 : 0) << ',' << m.train_loss << ',' << m.test_loss << ',' << m.test_accuracy << ','
              << m.round_seconds << ',' << m.elapsed_seconds << ',' << m.failures.size() << ',' << quoted(reasons)
              << '\n';
        out_->flush();
    }

private:
    /// A CSV field in double quotes, inner quotes doubled.
    static std::string quoted(const std::string& text) {
        std::string field = "\"";
        for (char c : text) {
            field += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
        }
        return field + "\"";
    }

    std::shared_ptr<std::ofstream> out_; // shared: the writer is copied into std::function callbacks
};

} // namespace fedpp::federated
