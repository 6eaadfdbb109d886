// Cooperative cancellation for long C++ loops.
//
// The core cannot see PostgreSQL's InterruptPending flag, so the glue layer
// installs a probe at load time.  Long loops call cdp::interrupt::poll()
// every few thousand iterations; it throws cdp::Cancelled when the probe
// says the host wants to stop.  Unit tests may install their own probe.
#pragma once

#include <cstdint>

namespace cdp::interrupt {

using Probe = bool (*)();

// Install the probe (nullptr: never interrupted).  Not thread-safe; call once
// at start-up.
void set_probe(Probe probe) noexcept;

// True when the host wants the current operation to stop.
bool pending() noexcept;

// Throw cdp::Cancelled if pending().
void poll();

// Poll only every `every` calls; cheap enough for inner loops.
class Ticker {
 public:
    explicit Ticker(std::uint32_t every = 4096) : every_(every) {}
    void tick() {
        if (++count_ >= every_) {
            count_ = 0;
            poll();
        }
    }

 private:
    std::uint32_t every_;
    std::uint32_t count_ = 0;
};

}  // namespace cdp::interrupt
