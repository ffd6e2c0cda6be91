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

void ScreenRouter::drawWindow(Frame& frame) {
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0);
  ImGui::PushStyleColor(ImGuiCol_WindowBg, ui::colour::Background);
  ImGui::Begin("kiosk", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                   ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoBackground);
  draw(frame);
  ImGui::End();
  ImGui::PopStyleColor();
  ImGui::PopStyleVar(2);
}

}  // namespace prepaid::kiosk::screens
