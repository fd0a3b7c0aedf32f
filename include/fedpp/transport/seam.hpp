// fedpp: the seam, the one place every request to a worker passes through.
//
// It numbers the workers as they join (the model owner is 0), logs every
// value that crosses between parties (send, move, get, declassify: a
// forward_into is a move, also when its computation refused the value) and hands
// each request to the federation's Transport.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/transfer_log.hpp"
#include "fedpp/transport/transport.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fedpp::detail {

class Seam {
public:
    Seam(std::string model_owner_name, std::unique_ptr<Transport> transport);
    Seam(const Seam&) = delete;
    Seam& operator=(const Seam&) = delete;
    ~Seam();

    Reply call(const Request& request);

    /// Registers a worker; names are unique among live workers.
    WorkerId add_worker(std::string name, bool trusted);

    void remove_worker(WorkerId id) noexcept {
        transport_->detach(id);
        const std::lock_guard lock(names_mutex_);
        live_names_.erase(names_[id]);
    }

    [[nodiscard]] std::string name_of(WorkerId id) const;

    [[nodiscard]] TransferLog& log() noexcept { return log_; }
    [[nodiscard]] Transport& transport() noexcept { return *transport_; }

private:
    /// Records a transfer by worker number and value type: the log has
    /// numbered the names when the workers joined.
    void log_transfer(TransferKind kind, const ValueType& type, std::size_t bytes, WorkerId from, WorkerId to,
                      std::string_view reason, std::size_t contributions = 0) {
        log_.record_transfer(kind, &type, type.name, bytes, from, to, reason, contributions);
    }

    std::unique_ptr<Transport> transport_;
    TransferLog log_;
    mutable std::mutex names_mutex_; // a plain mutex, held briefly: see InProcessTransport
    std::vector<std::string> names_; // by id, including workers that left
    std::unordered_map<std::string, WorkerId> live_names_;
};

} // namespace fedpp::detail

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/transport/seam-inl.hpp"
#endif
