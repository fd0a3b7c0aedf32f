// fedpp: Federation, the parties of one federated computation.
//
// The C++ counterpart of PySyft's hook: it stands for the model owner (the
// program itself), connects the workers through one Transport and keeps the
// transfer log.
//
//     fedpp::Federation federation;                  // the model owner, "me"
//     fedpp::Worker<Bob> bob(federation);            // a data owner
#pragma once

#include "fedpp/transport/in_process_transport.hpp"
#include "fedpp/transport/seam.hpp"
#include "fedpp/transport/transfer_log.hpp"
#include "fedpp/transport/transport.hpp"

#include <memory>
#include <string>
#include <utility>

namespace fedpp {

namespace detail {
struct SeamAccess;
} // namespace detail

class Federation {
public:
    explicit Federation(std::string model_owner_name = "me",
                        std::unique_ptr<Transport> transport = std::make_unique<InProcessTransport>())
        : seam_(std::make_shared<detail::Seam>(std::move(model_owner_name), std::move(transport))) {}

    Federation(const Federation&) = delete;
    Federation& operator=(const Federation&) = delete;
    Federation(Federation&&) = delete;
    Federation& operator=(Federation&&) = delete;
    ~Federation() = default;

    /// Every value that crossed between parties so far (read only: only
    /// the seam records).
    [[nodiscard]] const TransferLog& transfers() const noexcept { return seam_->log(); }

    /// Long runs (thousands of rounds) can keep the log's counters only, so
    /// that it does not grow; entries are kept by default. Turning entries
    /// off drops those kept so far.
    void keep_transfer_entries(bool keep) { seam_->log().keep_entries(keep); }

    [[nodiscard]] std::string model_owner_name() const { return seam_->name_of(model_owner_id); }

private:
    friend struct detail::SeamAccess;

    std::shared_ptr<detail::Seam> seam_;
};

} // namespace fedpp
