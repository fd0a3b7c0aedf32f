// fedpp: the seam's definitions (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/seam.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace fedpp::detail {

FEDPP_INLINE Seam::Seam(std::string model_owner_name, std::unique_ptr<Transport> transport)
    : transport_(std::move(transport)) {
    log_.name_worker(model_owner_id, model_owner_name);
    live_names_.emplace(model_owner_name, model_owner_id);
    names_.push_back(std::move(model_owner_name));
}

FEDPP_INLINE Seam::~Seam() = default;

FEDPP_INLINE Reply Seam::call(const Request& request) {
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

FEDPP_INLINE WorkerId Seam::add_worker(std::string name, bool trusted) {
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

FEDPP_INLINE std::string Seam::name_of(WorkerId id) const {
    const std::lock_guard lock(names_mutex_);
    return id < names_.size() ? names_[id] : "worker " + std::to_string(id);
}

} // namespace fedpp::detail
