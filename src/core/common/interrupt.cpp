#include "core/common/interrupt.h"

#include "core/common/error.h"

namespace cdp::interrupt {

namespace {
Probe g_probe = nullptr;
}

void set_probe(Probe probe) noexcept { g_probe = probe; }

bool pending() noexcept { return g_probe != nullptr && g_probe(); }

void poll() {
    if (pending()) throw Cancelled();
}

}  // namespace cdp::interrupt
