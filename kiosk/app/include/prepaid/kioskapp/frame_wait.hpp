#pragma once

// How long the kiosk's frame loop may sleep in SDL_WaitEventTimeout: a pure function of the
// deadlines, so it is tested without a window. Input and worker results end the sleep early
// (they arrive as SDL events); everything else that changes the screen has a deadline here.

#include <chrono>

namespace prepaid::kiosk::app {

struct FrameWaitInputs {
  std::chrono::steady_clock::time_point now;
  /// KioskSession::nextWake: health check, idle return (only when it applies), the recharge's
  /// countdown and poll, retries, the corner gesture. Never earlier than `now`.
  std::chrono::steady_clock::time_point sessionDue = std::chrono::steady_clock::time_point::max();
  /// The next animation step (countdown second, "loading" text); max() when nothing animates.
  std::chrono::steady_clock::time_point animationDue = std::chrono::steady_clock::time_point::max();
  /// Until the wall clock's next minute (the header clock).
  std::chrono::milliseconds untilNextMinute{60000};
  /// Frames still to render or finger samples to apply: no sleeping at all.
  bool renderPending = false;
};

/// The longest sleep allowed before the frame loop polls again.
inline constexpr std::chrono::milliseconds MaxFrameWait{60000};

/// Milliseconds to sleep (0: poll and go on). The earliest of the deadlines that lie in the
/// future, rounded up to whole milliseconds so a deadline 0.4 ms ahead sleeps 1 ms instead of
/// polling in a loop until it passes; a deadline that has passed means "now".
[[nodiscard]] int frameWaitMs(const FrameWaitInputs& inputs);

}  // namespace prepaid::kiosk::app
