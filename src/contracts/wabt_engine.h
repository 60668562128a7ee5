// The Engine on Debian's wabt (libwabt.a): binary reader and validator with Cairn's
// features, IR rewrite for gas instrumentation, binary writer, and wabt's interpreter.
#pragma once

#include <memory>

#include "contracts/engine.h"

namespace cairn::contracts {

std::unique_ptr<Engine> make_wabt_engine(const EngineOptions& options = {});

}  // namespace cairn::contracts
