#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

void ScreenRouter::draw(Frame& frame) {
  drawChrome(frame);
  switch (frame.session.screen()) {
    case Screen::Attract:
      m_attract.draw(frame);
      break;
    case Screen::Identify:
      m_identify.draw(frame);
      break;
    case Screen::Account:
      m_account.draw(frame);
      break;
    case Screen::Usage:
      m_usage.draw(frame);
      break;
    case Screen::Alarms:
      m_alarms.draw(frame);
      break;
    case Screen::History:
      m_history.draw(frame);
      break;
    case Screen::Recharge:
      m_recharge.draw(frame);
      break;
    case Screen::Maintenance:
      m_maintenance.draw(frame);
      break;
  }
}

}  // namespace prepaid::kiosk::screens
