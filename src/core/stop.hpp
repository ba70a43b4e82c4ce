// The one piece of global mutable state: the process-wide stop flag set by SIGINT/SIGTERM.
#pragma once

#include <chrono>

namespace tapedeck::stop {

// Installs SIGINT/SIGTERM handlers that set the flag. Call once from main.
void install_signal_handlers();
bool requested();
void request();
// Lowers the flag again: for tests that run several stoppable loops in one process.
void clear();
// Sleeps up to `duration`, returning early (true) when a stop is requested.
bool wait_for(std::chrono::milliseconds duration);

}  // namespace tapedeck::stop
