// The source of compile_fail_headers (CMakeLists.txt): a target whose only
// product is fedpp/fedpp.hpp precompiled with the compile-fail pairs' flags,
// which each pair reuses.
