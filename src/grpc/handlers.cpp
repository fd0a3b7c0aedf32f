#include "handlers.hpp"

#include <vector>

namespace fedpp::grpc::detail {

ObjectId store(party::Host& host, const std::string& peer, const StoredValue& value) {
    return host.store(peer, value.type, value.bytes, value.on_behalf_of);
}

Bytes fetch(party::Host& host, const std::string& peer, const wire::ObjectRequest& request) {
    return host.fetch(peer, request.object(), request.type());
}

void erase(party::Host& host, const std::string& peer, const wire::ObjectRequest& request) {
    host.erase(peer, request.object());
}

ObjectId copy(party::Host& host, const std::string& peer, const wire::ObjectRequest& request) {
    return host.copy(peer, request.object(), request.type());
}

wire::ForwardReply forward(party::Host& host, const std::string& peer, const wire::ForwardRequest& request,
                           const StoreAt& store_at) {
    const Bytes bytes = host.prepare_forward(peer, request.object(), request.type(), request.destination());
    wire::ForwardReply reply;
    reply.set_object(store_at(request.destination(), request.type(), bytes, peer));
    reply.set_moved_bytes(bytes.size());
    host.finish_forward(request.object());
    return reply;
}

ObjectId execute(party::Host& host, const std::string& peer, const wire::ExecuteRequest& request) {
    std::vector<party::NamedObject> inputs;
    inputs.reserve(static_cast<std::size_t>(request.inputs_size()));
    for (const auto& input : request.inputs()) {
        inputs.push_back({input.object(), input.type()});
    }
    const auto* first = reinterpret_cast<const std::byte*>(request.arguments().data());
    const Bytes arguments(first, first + request.arguments().size());
    return host.execute(peer, request.computation(), inputs, arguments);
}

ObjectId find(party::Host& host, const std::string& peer, const wire::FindRequest& request) {
    return host.find(peer, request.tag(), request.type());
}

} // namespace fedpp::grpc::detail
