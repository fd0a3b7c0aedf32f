// fedpp: the seam, the one place every request to a worker passes through.
//
// It numbers the workers as they join (the model owner is 0), logs every
// value that crosses between parties (send, move, get, declassify: a
// forward_into is a move, also when its computation refused the value) and hands
// each request to the federation's Transport.
#pragma once

#include "fedpp/base/errors.hpp"
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
    Seam(std::string model_owner_name, std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {
        log_.name_worker(model_owner_id, model_owner_name);
        live_names_.emplace(model_owner_name, model_owner_id);
        names_.push_back(std::move(model_owner_name));
    }

    Reply call(const Request& request) {
        Reply reply = transport_->deliver(request);
        switch (request.operation) {
        case Operation::store:
            log_transfer(request.from == model_owner_id ? TransferKind::send : TransferKind::move, *request.type,
                         request.value_size(), request.from, request.to, {});
            break;
        case Operation::forward:
        case Operation::forward_into:
            log_transfer(TransferKind::move, *request.type, reply.moved_bytes, request.to, request.destination, {});
            break;
        case Operation::fetch:
            log_transfer(request.fetch_kind, *request.type, reply.payload.size(), request.to, model_owner_id,
                         request.reason,
                         request.type->contributions != nullptr ? request.type->contributions(reply.payload) : 0);
            break;
        default: break;
        }
        return reply;
    }

    /// Registers a worker; names are unique among live workers.
    WorkerId add_worker(std::string name, bool trusted) {
        WorkerId id = 0;
        {
            const std::lock_guard lock(names_mutex_);
            id = static_cast<WorkerId>(names_.size());
            if (!live_names_.emplace(name, id).second) {
                throw ArgumentError("a worker named '" + name + "' already exists in this federation");
            }
            names_.push_back(name);
        }
        try {
            log_.name_worker(id, name);
            transport_->attach(id, std::move(name), trusted);
        } catch (...) {
            const std::lock_guard lock(names_mutex_);
            live_names_.erase(names_[id]);
            throw;
        }
        return id;
    }

    void remove_worker(WorkerId id) noexcept {
        transport_->detach(id);
        const std::lock_guard lock(names_mutex_);
        live_names_.erase(names_[id]);
    }

    [[nodiscard]] std::string name_of(WorkerId id) const {
        const std::lock_guard lock(names_mutex_);
        return id < names_.size() ? names_[id] : "worker " + std::to_string(id);
    }

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
