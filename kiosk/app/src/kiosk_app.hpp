#pragma once

// The shell: SDL window + GL context + ImGui, the frame loop, input (touch without the
// synthesized mouse events), the main-thread queue, redraw-on-change.

#include "prepaid/kioskapp/kiosk_options.hpp"

namespace prepaid::kiosk::app {

/// Runs the kiosk until staff leave the app or the window is closed. Returns the exit code.
/// Errors after start-up never end it: they are logged and shown.
int runKiosk(const AppOptions& options, std::chrono::steady_clock::time_point started);

}  // namespace prepaid::kiosk::app
