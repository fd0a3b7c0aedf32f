// Locations used by the tests.
#pragma once

#include <fedpp/fedpp.hpp>

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Client = fedpp::DataOwner<"client">;
using Secure = fedpp::TrustedAggregator<"secure_worker">;
