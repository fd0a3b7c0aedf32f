// Rule: the transfer log is the audit trail of the code it audits, so user
// code can read it but not add to it or remove from it: only the seam
// records. (Reading is the twin.)
#include "parties.hpp"

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
    const fedpp::TransferLog& log = p.hook.transfers();
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    // A forged entry, and the erasure of the real ones.
    auto& writable = const_cast<fedpp::TransferLog&>(log);
    writable.record_transfer(fedpp::TransferKind::send, nullptr, "fedpp::nn::Linear<f32>", 0, 0, 1, {});
    writable.keep_entries(false);
#endif
    return log.entries().size() == 1 && log.count() == 1 ? 0 : 1;
}
