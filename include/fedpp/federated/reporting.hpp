// fedpp: watching a federated run: one progress line per round for a person,
// and the same metrics as CSV for plotting.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/federated/metrics.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

namespace fedpp::federated {

/// One line per round on `out`, e.g.
///   round   12/100  clients 10/10  train loss 0.2345  test acc 95.12%  round 0.31 s  elapsed 3.9 s
/// (with the number of clients left out and the first one's reason, and why
/// the round failed, if so;
/// a DP run adds "eps 1.234 clip 0.5000", and says when its budget stops it).
inline std::function<void(const RoundMetrics&)> progress_printer(std::FILE* out, std::size_t total_rounds) {
    return [out, total_rounds](const RoundMetrics& m) {
        std::fprintf(out, "round %5zu/%zu  clients %zu/%zu  ", m.round, total_rounds, m.clients_aggregated,
                     m.clients_selected);
        if (m.train_loss) {
            std::fprintf(out, "train loss %.4f", *m.train_loss);
        } else {
            std::fprintf(out, "train loss    n/a"); // a DP run releases no client's loss
        }
        std::fprintf(out, "  test acc %6.2f%%  round %.2f s  elapsed %.1f s", 100.0 * m.test_accuracy,
                     m.round_seconds, m.elapsed_seconds);
        if (!m.failures.empty()) { // how many, and the first one's reason (the metrics have them all)
            const ClientFailure& first = m.failures.front();
            std::fprintf(out, "  (%zu client%s left out; client %zu: %s)", m.failures.size(),
                         m.failures.size() == 1 ? "" : "s", first.client, first.reason.c_str());
        }
        if (m.epsilon) {
            std::fprintf(out, "  eps %.4g clip %.4g", *m.epsilon, m.clip_norm);
        }
        if (!m.aggregated) {
            std::fprintf(out, "  NOT AGGREGATED: %s", m.round_error.c_str());
        }
        if (m.budget_reached) {
            std::fprintf(out, "  privacy budget reached: no more rounds");
        }
        std::fprintf(out, "\n");
        std::fflush(out);
    };
}

/// Writes one CSV row per round (and the header first; epsilon is empty and
/// clip_norm 0 for a run without DP, train_loss empty for one with DP),
/// flushed after each row so a crashed run keeps what it did. Every write and flush is checked:
/// one that fails (a full disk, a file-size limit) throws IoError, so a run
/// never ends as if its metrics were written when they were not.
class CsvMetricsWriter {
public:
    static constexpr std::string_view header =
        "round,clients_selected,clients_aggregated,examples,aggregated,train_loss,test_loss,test_accuracy,"
        "round_seconds,elapsed_seconds,epsilon,clip_norm,budget_reached,failures,failure_reasons\n";

    /// A new file (replacing any at `path`) that starts with the header.
    /// ArgumentError if `path` cannot be opened for writing; IoError if the
    /// header cannot be written.
    explicit CsvMetricsWriter(const std::string& path) : file_(std::make_shared<File>(path, "w")) {
        file_->write(std::string(header), "the header");
    }

    /// Rows added to the end of `path` (for a run resumed from its
    /// checkpoint: the rounds before it stay), which must then start with
    /// the header; a missing or empty file is started with it. Rows of
    /// rounds after `after_round` (the checkpoint's rounds done: rounds the
    /// resumed run does again) are dropped first, so that no round has two
    /// rows. ArgumentError if the file starts otherwise (it is not one of
    /// these) or cannot be opened; IoError if it cannot be read or cut.
    struct Append {
        std::size_t after_round = static_cast<std::size_t>(-1);
    };
    CsvMetricsWriter(const std::string& path, Append append) {
        std::string text;
        if (std::FILE* in = std::fopen(path.c_str(), "r")) {
            char chunk[4096];
            for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, in)) > 0;) {
                text.append(chunk, n);
            }
            const bool failed = std::ferror(in) != 0;
            std::fclose(in);
            if (failed) {
                throw IoError("CsvMetricsWriter: cannot read '" + path + "'");
            }
        }
        if (!text.empty() && !std::string_view(text).starts_with(header)) {
            throw ArgumentError("CsvMetricsWriter: '" + path + "' does not start with the metrics header; "
                                "not appending rounds to it");
        }
        if (const std::size_t kept = rows_through(text, append.after_round); kept < text.size()) {
            std::error_code error; // (the rows kept are not written again: the file is cut after them)
            std::filesystem::resize_file(path, kept, error);
            if (error) {
                throw IoError("CsvMetricsWriter: cannot cut '" + path + "' after round " +
                              std::to_string(append.after_round) + ": " + error.message());
            }
            text.resize(kept);
        }
        file_ = std::make_shared<File>(path, "a");
        if (text.empty()) {
            file_->write(std::string(header), "the header");
        }
    }

    /// Writes and flushes the row of `m`; IoError if that fails.
    void operator()(const RoundMetrics& m) const {
        std::string reasons;
        for (const auto& failure : m.failures) {
            reasons += (reasons.empty() ? "" : "; ") + ("client " + std::to_string(failure.client) + ": ") +
                       failure.reason;
        }
        if (!m.round_error.empty()) {
            reasons += (reasons.empty() ? "" : "; ") + m.round_error;
        }
        std::ostringstream row;
        row << m.round << ',' << m.clients_selected << ',' << m.clients_aggregated << ',' << m.examples << ','
            << (m.aggregated ? 1 : 0) << ',';
        if (m.train_loss) {
            row << *m.train_loss;
        }
        row << ',' << m.test_loss << ',' << m.test_accuracy << ',' << m.round_seconds << ',' << m.elapsed_seconds
            << ',';
        if (m.epsilon) {
            row << *m.epsilon;
        }
        row << ',' << m.clip_norm << ',' << (m.budget_reached ? 1 : 0) << ',' << m.failures.size() << ','
            << quoted(reasons) << '\n';
        file_->write(row.str(), "the row of round " + std::to_string(m.round));
    }

    /// Closes the file (all copies of this writer share it); IoError if the
    /// last of it cannot be written. Without close() the file is closed
    /// when the last copy goes, and every row was already checked.
    void close() const { file_->close(); }

private:
    /// The file, shared: the writer is copied into std::function callbacks.
    class File {
    public:
        File(const std::string& path, const char* mode) : path_(path), out_(std::fopen(path.c_str(), mode)) {
            if (out_ == nullptr) {
                throw ArgumentError("CsvMetricsWriter: cannot open '" + path + "' for writing: " +
                                    std::strerror(errno));
            }
        }
        File(const File&) = delete;
        File& operator=(const File&) = delete;
        ~File() {
            if (out_ != nullptr) {
                std::fclose(out_);
            }
        }

        void write(const std::string& text, const std::string& what) {
            if (out_ == nullptr) {
                throw IoError("CsvMetricsWriter: '" + path_ + "' is closed; cannot write " + what);
            }
            errno = 0;
            if (std::fwrite(text.data(), 1, text.size(), out_) != text.size() || std::fflush(out_) != 0) {
                fail("writing " + what);
            }
        }

        void close() {
            if (out_ == nullptr) {
                return;
            }
            errno = 0;
            const bool flushed = std::fflush(out_) == 0 && std::ferror(out_) == 0;
            const bool closed = std::fclose(out_) == 0;
            out_ = nullptr;
            if (!flushed || !closed) {
                fail("closing the file");
            }
        }

    private:
        [[noreturn]] void fail(const std::string& what) const {
            const int error = errno;
            throw IoError("CsvMetricsWriter: " + what + " to '" + path_ + "' failed: " +
                          (error != 0 ? std::strerror(error) : "an I/O error") +
                          "; the metrics file is incomplete (free space, or raise the file-size limit)");
        }

        std::string path_;
        std::FILE* out_;
    };

    /// How many bytes of `text` (the header and rows) hold the header and
    /// the rows before the first of a round after `round`, or before an
    /// unfinished last row (a crash while it was written). A row ends at a
    /// newline outside quotes; its round is its first field.
    static std::size_t rows_through(const std::string& text, std::size_t round) {
        std::size_t row = std::min(header.size(), text.size());
        while (row < text.size()) {
            std::size_t row_round = 0;
            const char* end = text.data() + text.size();
            if (std::from_chars(text.data() + row, end, row_round).ec == std::errc{} && row_round > round) {
                return row;
            }
            bool in_quotes = false;
            std::size_t at = row;
            for (; at < text.size() && (in_quotes || text[at] != '\n'); ++at) {
                in_quotes = in_quotes != (text[at] == '"');
            }
            if (at == text.size()) {
                return row;
            }
            row = at + 1;
        }
        return text.size();
    }

    /// A CSV field in double quotes, inner quotes doubled.
    static std::string quoted(const std::string& text) {
        std::string field = "\"";
        for (char c : text) {
            field += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
        }
        return field + "\"";
    }

    std::shared_ptr<File> file_;
};

} // namespace fedpp::federated
