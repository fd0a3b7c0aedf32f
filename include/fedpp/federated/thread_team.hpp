// fedpp: the threads a federated run trains its clients on.
//
// A round runs one job on every thread of the team and waits for all of
// them (with OpenBLAS on one thread meanwhile: base/blas_threads.hpp). The threads live as long as the team, so a round does not pay for
// starting and joining threads, and each thread keeps what it cached from
// round to round (malloc's per-thread caches, fedpp's node cache, the
// scratch vectors of backward()).
#pragma once

#include "fedpp/base/blas_threads.hpp"
#include "fedpp/base/function_ref.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// Threads to train on: `configured`, or one per hardware thread if 0.
inline std::size_t worker_count(std::size_t configured) {
    const std::size_t hardware = std::max(1u, std::thread::hardware_concurrency());
    return configured == 0 ? hardware : configured;
}

class ThreadTeam {
public:
    /// A team of `size` threads (at least one): the caller of run() and
    /// size - 1 helpers, started by the first run() that needs them.
    explicit ThreadTeam(std::size_t size) : size_(size == 0 ? 1 : size) {}

    ThreadTeam(const ThreadTeam&) = delete;
    ThreadTeam& operator=(const ThreadTeam&) = delete;

    ~ThreadTeam() {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        start_.notify_all();
        for (std::thread& helper : helpers_) {
            helper.join();
        }
    }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    /// Runs job(t) for t in [0, n) at once, n = min(threads, size()); job(0)
    /// on the calling thread. Returns when every call has returned, then
    /// rethrows the first exception one of them threw.
    void run(std::size_t threads, fedpp::detail::FunctionRef<void(std::size_t)> job) {
        if (std::min(threads, size_) > 1) {
            start_helpers();
        }
        const std::size_t n = std::min(std::max<std::size_t>(threads, 1), size_);
        std::optional<SingleThreadedBlas> one_blas_thread; // each of ours asks for its own products
        if (n > 1) {
            one_blas_thread.emplace();
            {
                const std::lock_guard lock(mutex_);
                job_ = &job;
                active_ = n;
                unfinished_ = n - 1;
                ++generation_;
            }
            start_.notify_all();
        }
        try {
            job(0);
        } catch (...) {
            record(std::current_exception());
        }
        std::exception_ptr error;
        {
            std::unique_lock lock(mutex_);
            finished_.wait(lock, [&] { return unfinished_ == 0; });
            job_ = nullptr;
            error = std::exchange(error_, nullptr);
        }
        if (error) {
            std::rethrow_exception(error);
        }
    }

private:
    void start_helpers() {
        if (helpers_.size() + 1 == size_) {
            return;
        }
        helpers_.reserve(size_ - 1);
        try {
            for (std::size_t t = helpers_.size() + 1; t < size_; ++t) {
                helpers_.emplace_back([this, t] { serve(t); });
            }
        } catch (...) {
            // The system would not start another thread: the team is the
            // threads it has (later runs use them), and this run says why.
            size_ = helpers_.size() + 1;
            throw;
        }
    }

    /// Helper t: waits for a job, runs its part, reports, waits again.
    void serve(std::size_t t) {
        std::uint64_t seen = 0;
        std::unique_lock lock(mutex_);
        for (;;) {
            start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_) {
                return;
            }
            seen = generation_;
            if (t >= active_) {
                continue; // this job needs fewer threads
            }
            const auto* job = job_;
            lock.unlock();
            try {
                (*job)(t);
            } catch (...) {
                record(std::current_exception());
            }
            lock.lock();
            if (--unfinished_ == 0) {
                finished_.notify_one();
            }
        }
    }

    void record(std::exception_ptr error) {
        const std::lock_guard lock(mutex_);
        if (!error_) {
            error_ = std::move(error);
        }
    }

    std::size_t size_;
    std::vector<std::thread> helpers_;
    std::mutex mutex_;
    std::condition_variable start_;
    std::condition_variable finished_;
    const fedpp::detail::FunctionRef<void(std::size_t)>* job_ = nullptr;
    std::size_t active_ = 0;
    std::size_t unfinished_ = 0;
    std::uint64_t generation_ = 0;
    bool stopping_ = false;
    std::exception_ptr error_;
};

} // namespace fedpp::detail
