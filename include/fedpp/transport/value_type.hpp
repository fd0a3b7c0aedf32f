// fedpp: how a stored value is turned into bytes and back, type-erased.
//
// A worker's store holds values of many types; each knows its ValueType
// (its Codec's type name and the functions that encode and decode it), so
// that a store, a transport or a server can move values as bytes without
// knowing their C++ types.
#pragma once

#include "fedpp/base/block_cache.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/io/codec.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace fedpp {

namespace detail {
class RemoteObject;
} // namespace detail

/// A value type that can be stored at a worker: its Codec's type name and
/// how to encode and decode it. One static object per C++ type, so two
/// ValueTypes are the same type when they are the same object or have the
/// same name.
struct ValueType {
    std::string name;
    /// The value of a to_bytes encoding (its type tag, then the value), read
    /// to its end from `in` (whole bytes, or chunks as they arrive).
    std::unique_ptr<detail::RemoteObject> (*decode)(ByteReader& in);
    Bytes (*encode)(const detail::RemoteObject& object);
    /// encode(object).size(), measured without writing: the bytes a value
    /// handed over in place would have taken (Request::forward_into), and
    /// what a party's quota counts (Policy::max_bytes_per_requester). For a
    /// value that is never encoded (its Codec declares `static std::size_t
    /// held_bytes(const T&)`: a secure aggregation party's state), what that
    /// estimates it keeps.
    std::size_t (*encoded_size)(const detail::RemoteObject& object);
    /// For aggregates (fedpp::Aggregate<M>): how many contributions the
    /// encoded value combines, read from its bytes; nullptr for other types.
    std::size_t (*contributions)(std::span<const std::byte> bytes) = nullptr;
    /// A value that gathers data owners' contributions at an aggregator
    /// (fedpp::WeightedSum<M>; its Codec declares `static constexpr bool
    /// holds_contributions = true`): only aggregations take it there, and it
    /// is not copied, as a copy or a computation's result would hold the
    /// same models uncounted (party::Host). It arrives at a worker only
    /// empty (decode: PermissionDeniedError otherwise, as its Codec's
    /// `empty(value)` says): what it sums is added there, from the
    /// contributions it counts, never sent in uncounted.
    bool holds_contributions = false;

    [[nodiscard]] bool same_as(const ValueType& other) const noexcept {
        return this == &other || name == other.name;
    }
};

namespace detail {

class ObjectHandle;

/// A value in a worker's store.
class RemoteObject {
public:
    RemoteObject() = default;
    RemoteObject(const RemoteObject&) = delete;
    RemoteObject& operator=(const RemoteObject&) = delete;
    virtual ~RemoteObject() = default;
    [[nodiscard]] virtual const ValueType& type() const noexcept = 0;

    // Stored values come and go at every request (run() stores a loss that
    // the next get() deletes), so their memory comes from the per-thread
    // BlockCache. The virtual destructor makes delete pass the stored
    // type's size. Over-aligned value types use the global aligned forms.
    static void* operator new(std::size_t bytes) { return BlockCache::allocate(bytes); }
    static void operator delete(void* block, std::size_t bytes) noexcept { BlockCache::deallocate(block, bytes); }
    static void* operator new(std::size_t bytes, std::align_val_t alignment) {
        return ::operator new(bytes, alignment);
    }
    static void operator delete(void* block, std::align_val_t alignment) noexcept {
        ::operator delete(block, alignment);
    }

private:
    friend class ObjectHandle;
    mutable std::atomic<std::uint32_t> holders_{1}; // ObjectHandles sharing it (object_shard.hpp)
};

template <class T>
class RemoteValue;

/// How many contributions an encoded aggregate combines (T's Codec
/// declares it with `static std::size_t contributions(ByteReader&)`, reading
/// the start of the encoding); nullptr for other types.
template <class T>
constexpr auto contributions_reader() {
    if constexpr (requires(ByteReader& in) { Codec<T>::contributions(in); }) {
        return +[](std::span<const std::byte> bytes) -> std::size_t {
            ByteReader in(bytes, "an aggregate");
            in.read_string_view(); // the type tag
            return Codec<T>::contributions(in);
        };
    } else {
        return static_cast<std::size_t (*)(std::span<const std::byte>)>(nullptr);
    }
}

/// Whether T's values gather contributions (ValueType::holds_contributions).
template <class T>
constexpr bool holds_contributions() {
    if constexpr (requires { Codec<T>::holds_contributions; }) {
        return Codec<T>::holds_contributions;
    } else {
        return false;
    }
}

/// Every value type this program can store, by name: what a worker process
/// decodes the bytes it is sent with. A type is registered before main()
/// runs if the program uses value_type<T>() anywhere.
class ValueTypeRegistry {
public:
    static ValueTypeRegistry& instance() {
        static ValueTypeRegistry registry;
        return registry;
    }
    void add(const ValueType& type) {
        const std::lock_guard lock(mutex_);
        by_name_.emplace(type.name, &type);
    }
    /// The type named `name`, or nullptr.
    [[nodiscard]] const ValueType* find(std::string_view name) const {
        const std::lock_guard lock(mutex_);
        const auto it = by_name_.find(name);
        return it == by_name_.end() ? nullptr : it->second;
    }
    /// The type named `name`; RemoteObjectError if party `party` knows none.
    [[nodiscard]] const ValueType& at(std::string_view name, const std::string& party) const {
        if (const ValueType* type = find(name)) {
            return *type;
        }
        throw RemoteObjectError("'" + party + "' knows no value type '" + std::string(name) + "'");
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, const ValueType*, std::less<>> by_name_;
};

template <class T>
const ValueType& value_type();

template <class T>
struct RegisteredValueType {
    static inline const bool registered = (ValueTypeRegistry::instance().add(value_type<T>()), true);
};

/// The ValueType of T.
template <class T>
const ValueType& value_type() {
    static_assert(Serializable<T>, "fedpp: values stored at a worker need a fedpp::Codec");
    (void)RegisteredValueType<T>::registered; // registers T by name before main() runs
    static const ValueType type{
        type_name_of<T>(),
        [](ByteReader& in) -> std::unique_ptr<RemoteObject> {
            auto object = std::make_unique<RemoteValue<T>>(read_tagged_value<T>(in));
            if constexpr (holds_contributions<T>()) {
                if (!Codec<T>::empty(object->value)) {
                    throw PermissionDeniedError("a '" + type_name_of<T>() + "' arrives at a worker only empty: what "
                                                "it sums is added there, from contributions it counts");
                }
            }
            return object;
        },
        [](const RemoteObject& object) { return to_bytes(static_cast<const RemoteValue<T>&>(object).value); },
        [](const RemoteObject& object) -> std::size_t {
            const T& value = static_cast<const RemoteValue<T>&>(object).value;
            if constexpr (requires { Codec<T>::held_bytes(value); }) { // (never encoded)
                return Codec<T>::held_bytes(value);
            } else {
                return tagged_size(value);
            }
        },
        contributions_reader<T>(),
        holds_contributions<T>(),
    };
    return type;
}

/// The value of `type` encoded in `bytes`; `what` names them in errors.
inline std::unique_ptr<RemoteObject> decode_value(const ValueType& type, std::span<const std::byte> bytes,
                                                  LazyText what) {
    ByteReader in(bytes, what);
    return type.decode(in);
}

template <class T>
class RemoteValue final : public RemoteObject {
public:
    explicit RemoteValue(T v) : value(std::move(v)) {}
    [[nodiscard]] const ValueType& type() const noexcept override { return value_type<T>(); }
    T value;
};

} // namespace detail

} // namespace fedpp
