// The skip mechanism itself (tests/skip.hpp), run by the ctest test
// unit.skips_are_reported: a test case that cannot measure must never count
// as passed.
#include "skip.hpp"

TEST_CASE("a test case that cannot measure is reported as skipped", "[.][skip-check]") {
    FEDPP_SKIP("this test case always skips, to check that skips are reported");
}
