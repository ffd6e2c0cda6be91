#include "prepaid/kioskapp/frame_wait.hpp"

#include <algorithm>

namespace prepaid::kiosk::app {

int frameWaitMs(const FrameWaitInputs& inputs) {
  if (inputs.renderPending) {
    return 0;
  }
  using std::chrono::milliseconds;
  const auto due = std::min(inputs.sessionDue, inputs.animationDue);
  milliseconds wait = MaxFrameWait;
  if (due != std::chrono::steady_clock::time_point::max()) {
    if (due <= inputs.now) {
      return 0;
    }
    // Ceil: sleeping 0 ms for a deadline still ahead would poll in a tight loop until it passes.
    wait = std::min(wait, std::chrono::ceil<milliseconds>(due - inputs.now));
  }
  wait = std::min(wait, std::max(inputs.untilNextMinute, milliseconds(1)));
  return static_cast<int>(std::clamp(wait, milliseconds(0), MaxFrameWait).count());
}

}  // namespace prepaid::kiosk::app
