// fedpp: OpenBLAS's own threads while fedpp runs products on several threads.
//
// A federated run trains its clients on threads of its own (ThreadTeam), and
// each client's large products go to the BLAS (base/matrix_product.hpp).
// OpenBLAS, by default, splits every product over as many threads as the
// machine has: two clients' products at once then run on twice as many
// threads as there are cores, and OpenBLAS's threads, which spin while they
// wait, slow everything down (a round of the MNIST CNN on 2 threads took
// 5.3 s instead of 2.5 s on 2 cores). While a SingleThreadedBlas lives,
// OpenBLAS runs each product on the thread that asks for it; the last one
// to go gives OpenBLAS back the thread count it had (a count the program
// set meanwhile is overwritten then). The setting is
// OpenBLAS's own, for the whole process: a product another thread of the
// program asks for meanwhile runs on one thread too. Without OpenBLAS (no
// BLAS, or another one: CMake defines FEDPP_HAS_OPENBLAS) this does nothing.
#pragma once

#if defined(FEDPP_HAS_CBLAS)
#include <cblas.h>
#endif

#include <mutex>

namespace fedpp::detail {

class SingleThreadedBlas {
public:
    SingleThreadedBlas() {
#if defined(FEDPP_HAS_OPENBLAS) && defined(OPENBLAS_VERSION)
        const std::lock_guard lock(state().mutex);
        if (state().holders++ == 0) {
            state().saved = openblas_get_num_threads();
            if (state().saved > 1) {
                openblas_set_num_threads(1);
            }
        }
#endif
    }
    ~SingleThreadedBlas() {
#if defined(FEDPP_HAS_OPENBLAS) && defined(OPENBLAS_VERSION)
        const std::lock_guard lock(state().mutex);
        if (--state().holders == 0 && state().saved > 1) {
            openblas_set_num_threads(state().saved);
        }
#endif
    }
    SingleThreadedBlas(const SingleThreadedBlas&) = delete;
    SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

private:
    struct State {
        std::mutex mutex;
        int holders = 0;
        int saved = 1;
    };
    static State& state() {
        static State shared;
        return shared;
    }
};

} // namespace fedpp::detail
