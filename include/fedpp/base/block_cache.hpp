// fedpp: a per-thread cache of small memory blocks.
//
// Training and the seam allocate and free the same few kinds of small
// objects at every step (graph nodes, the values a request stores and the
// next one deletes), in bursts larger than malloc's per-thread cache (7
// blocks a size in glibc). BlockCache keeps freed blocks on per-thread lists
// by size class and hands them out again.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace fedpp::detail {

/// Blocks of up to 512 bytes in 64-byte size classes, at most 64 cached per
/// class and thread; larger requests go to operator new. A block may be
/// freed by another thread than the one that allocated it; it then joins
/// that thread's list. Each thread's cached blocks are freed when it exits.
class BlockCache {
public:
    static constexpr std::size_t granule = 64;
    static constexpr std::size_t size_classes = 8; // cached blocks are up to 512 bytes
    static constexpr std::uint32_t max_cached_per_class = 64;

    static void* allocate(std::size_t bytes) {
        const std::size_t size_class = (bytes - 1) / granule;
        if (size_class >= size_classes) {
            return ::operator new(bytes);
        }
        Cache& cache = thread_cache();
        if (FreeBlock* block = cache.heads[size_class]) {
            cache.heads[size_class] = block->next;
            --cache.counts[size_class];
            return block;
        }
        return ::operator new((size_class + 1) * granule);
    }

    static void deallocate(void* block, std::size_t bytes) noexcept {
        const std::size_t size_class = (bytes - 1) / granule;
        if (size_class >= size_classes) {
            ::operator delete(block);
            return;
        }
        Cache& cache = thread_cache();
        if (cache.closed || cache.counts[size_class] >= max_cached_per_class) {
            ::operator delete(block);
            return;
        }
        cache.heads[size_class] = ::new (block) FreeBlock{cache.heads[size_class]};
        ++cache.counts[size_class];
    }

private:
    struct FreeBlock {
        FreeBlock* next;
    };

    /// Trivially destructible and constant-initialised, so it stays usable
    /// while the thread's (or the program's) other objects are destroyed:
    /// nodes freed after the cache was emptied go straight to operator delete.
    struct Cache {
        std::array<FreeBlock*, size_classes> heads;
        std::array<std::uint32_t, size_classes> counts;
        bool closed;
        bool has_releaser;
    };

    /// Empties the thread's cache when the thread exits.
    struct Releaser {
        explicit Releaser(Cache* thread_cache) noexcept : cache(thread_cache) {}
        Cache* cache;
        Releaser(const Releaser&) = delete;
        Releaser& operator=(const Releaser&) = delete;
        ~Releaser() {
            cache->closed = true;
            for (FreeBlock*& head : cache->heads) {
                while (head != nullptr) {
                    ::operator delete(std::exchange(head, head->next));
                }
            }
        }
    };

    static Cache& thread_cache() noexcept {
        thread_local constinit Cache cache{};
        if (!cache.has_releaser) {
            cache.has_releaser = true;
            thread_local const Releaser releaser{&cache};
        }
        return cache;
    }
};

/// An allocator handing out BlockCache blocks, for std::allocate_shared.
template <class U>
struct BlockCacheAllocator {
    static_assert(alignof(U) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "fedpp: BlockCache blocks are not over-aligned");
    using value_type = U;

    BlockCacheAllocator() noexcept = default;
    template <class V>
    BlockCacheAllocator(const BlockCacheAllocator<V>&) noexcept {} // NOLINT: rebinding is implicit by design

    U* allocate(std::size_t count) { return static_cast<U*>(BlockCache::allocate(count * sizeof(U))); }
    void deallocate(U* block, std::size_t count) noexcept { BlockCache::deallocate(block, count * sizeof(U)); }

    template <class V>
    friend bool operator==(const BlockCacheAllocator&, const BlockCacheAllocator<V>&) noexcept {
        return true;
    }
};

} // namespace fedpp::detail
