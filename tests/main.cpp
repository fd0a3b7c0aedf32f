// The tests' main: Catch2's, plus skipped test cases (tests/skip.hpp)
// reported as such: status 77 when every test case that ran was skipped
// (ctest runs one per process and shows it as "Skipped"), and a list of
// them at the end of any run.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "skip.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace {
struct SkipRecord {
    std::size_t test_cases_run = 0;
    bool current_skipped = false;
    std::string current_reason;
    std::vector<std::string> skipped; // "test case: reason"
};

SkipRecord& skips() {
    static SkipRecord record;
    return record;
}

class SkipListener : public Catch::TestEventListenerBase {
public:
    using TestEventListenerBase::TestEventListenerBase;

    void testCaseStarting(Catch::TestCaseInfo const& info) override {
        TestEventListenerBase::testCaseStarting(info);
        ++skips().test_cases_run;
        skips().current_skipped = false;
    }

    void testCaseEnded(Catch::TestCaseStats const& stats) override {
        if (skips().current_skipped) {
            skips().skipped.push_back(stats.testInfo.name + ": " + skips().current_reason);
        }
        TestEventListenerBase::testCaseEnded(stats);
    }
};
} // namespace

CATCH_REGISTER_LISTENER(SkipListener)

void fedpp_test::record_skip(const std::string& reason) {
    skips().current_skipped = true;
    skips().current_reason = reason;
}

int main(int argc, char* argv[]) {
    const int result = Catch::Session().run(argc, argv);
    const SkipRecord& record = skips();
    for (const auto& skipped : record.skipped) {
        std::fprintf(stderr, "SKIPPED (could not measure): %s\n", skipped.c_str());
    }
    if (result == 0 && record.test_cases_run > 0 && record.skipped.size() == record.test_cases_run) {
        return 77; // every test case that ran was skipped: not a pass
    }
    return result;
}
