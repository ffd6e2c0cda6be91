#pragma once

// The hidden gesture that opens maintenance mode: a press held still in the top-left corner
// for `hold` (3 s by default). A tenant tapping there never triggers it.

#include <chrono>
#include <optional>

namespace prepaid::kiosk {

class CornerLongPress {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit CornerLongPress(std::chrono::milliseconds hold = std::chrono::milliseconds(3000),
                           float cornerFraction = 0.08F)
      : m_hold(hold), m_cornerFraction(cornerFraction) {}

  /// A finger/mouse went down at (x, y) on a `width` x `height` screen.
  void press(float x, float y, float width, float height, TimePoint now);
  /// The pointer moved; leaving the corner cancels.
  void move(float x, float y, float width, float height);
  void release();
  /// True once when the hold time is reached while still pressed in the corner.
  [[nodiscard]] bool poll(TimePoint now);
  /// When the hold would complete (the frame loop wakes up then), if armed.
  [[nodiscard]] std::optional<TimePoint> deadline() const;

 private:
  [[nodiscard]] bool inCorner(float x, float y, float width, float height) const;
  std::chrono::milliseconds m_hold;
  float m_cornerFraction;
  std::optional<TimePoint> m_since;
};

}  // namespace prepaid::kiosk
