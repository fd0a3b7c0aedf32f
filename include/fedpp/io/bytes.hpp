// fedpp: bytes, and the little-endian writer and bounds-checked reader every
// codec uses.
#pragma once

#include "fedpp/io/byte_reader.hpp"
#include "fedpp/io/byte_writer.hpp"
