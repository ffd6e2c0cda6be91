#include "prepaid/viewmodels/corner_long_press.hpp"

#include <algorithm>

namespace prepaid::kiosk {

bool CornerLongPress::inCorner(float x, float y, float width, float height) const {
  // At least 64 px so a finger can hit it on any screen size.
  const float side = std::max(64.0F, std::min(width, height) * m_cornerFraction);
  return x >= 0 && y >= 0 && x <= side && y <= side;
}

void CornerLongPress::press(float x, float y, float width, float height, TimePoint now) {
  m_since = inCorner(x, y, width, height) ? std::optional<TimePoint>(now) : std::nullopt;
}

void CornerLongPress::move(float x, float y, float width, float height) {
  if (m_since && !inCorner(x, y, width, height)) {
    m_since.reset();
  }
}

void CornerLongPress::release() {
  m_since.reset();
}

bool CornerLongPress::poll(TimePoint now) {
  if (m_since && now - *m_since >= m_hold) {
    m_since.reset();
    return true;
  }
  return false;
}

std::optional<CornerLongPress::TimePoint> CornerLongPress::deadline() const {
  if (!m_since) {
    return std::nullopt;
  }
  return *m_since + m_hold;
}

}  // namespace prepaid::kiosk
