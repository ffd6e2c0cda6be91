#include <algorithm>

#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

void AccountScreen::draw(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  auto& s = frame.session;
  auto& vm = s.account();
  const auto& account = s.tenant().account;
  const float gap = l.px(24);
  float y = frame.origin.y;
  const float x = frame.origin.x;
  const float w = frame.size.x;
  p.text(p.fonts().large, ImVec2(x, y), ui::colour::Text,
         p.t("account.shop") + " " + account.shopNumber + "    " + p.t("account.tenant") + " " +
             account.tenantName);
  y += p.fonts().large->FontSize + gap;
  if (!s.personal()) {
    p.text(p.fonts().body, ImVec2(x, y), ui::colour::Muted, p.t("account.pay_only"));
    y += p.fonts().body->FontSize + gap;
  }
  if (vm.loading()) {
    frame.animating = true;
  }
  // Menu at the bottom: usage, alarms, recharge, history.
  const float menuH = l.target(150);
  const float menuY = frame.origin.y + frame.size.y - menuH;
  const float cardsBottom = menuY - gap;
  const auto cards = vm.cards();
  const int perRow =
      l.portrait ? 1 : std::min<int>(2, std::max<int>(1, static_cast<int>(cards.size())));
  const float cardW = (w - gap * static_cast<float>(perRow - 1)) / static_cast<float>(perRow);
  const float cardH = l.px(l.portrait ? 420 : 430);
  for (std::size_t i = 0; i < cards.size(); ++i) {
    const auto& card = cards[i];
    const float cx = x + static_cast<float>(static_cast<int>(i) % perRow) * (cardW + gap);
    const float cy = y + static_cast<float>(static_cast<int>(i) / perRow) * (cardH + gap);
    if (cy + cardH > cardsBottom) {
      break;  // more meters than fit: the first ones (usually one or two per shop)
    }
    p.panel(ImVec2(cx, cy), ImVec2(cardW, cardH), ui::colour::Surface);
    const float pad = l.px(28);
    float iy = cy + pad;
    p.text(p.fonts().body, ImVec2(cx + pad, iy), ui::colour::Muted,
           p.t("account.meter") + " " + card.serial);
    if (!card.personal) {
      iy += p.fonts().body->FontSize + l.px(20);
      p.text(p.fonts().body, ImVec2(cx + pad, iy), ui::colour::Muted,
             p.f({"account.cap", {card.hoardingCapYuan}}));
      continue;
    }
    // Status pill: colour and words (never colour alone).
    const std::string status = p.t(card.statusKey);
    const ImVec2 statusSize = p.measure(p.fonts().body, status);
    const float pillW = statusSize.x + l.px(40);
    const ImVec2 pill(cx + cardW - pad - pillW, iy - l.px(6));
    p.panel(pill, ImVec2(pillW, statusSize.y + l.px(12)), ui::colour::rgb(card.statusColour), 24);
    p.text(p.fonts().body, ImVec2(pill.x + l.px(20), iy), ui::colour::Surface, status);
    iy += p.fonts().body->FontSize + l.px(24);
    p.text(p.fonts().body, ImVec2(cx + pad, iy), ui::colour::Muted, p.t("account.balance"));
    iy += p.fonts().body->FontSize + l.px(8);
    const std::string balance = "¥ " + card.balanceYuan;
    p.text(p.fonts().huge, ImVec2(cx + pad, iy),
           card.negative ? ui::colour::Danger : ui::colour::Text, balance);
    iy += p.fonts().huge->FontSize + l.px(20);
    const std::string reading =
        p.t("account.last_reading") + ": " +
        (card.lastReading.empty() ? p.t("account.never_read") : card.lastReading);
    p.text(p.fonts().body, ImVec2(cx + pad, iy), ui::colour::Text, reading);
    iy += p.fonts().body->FontSize + l.px(14);
    p.text(p.fonts().body, ImVec2(cx + pad, iy), ui::colour::Text,
           p.t(card.water ? "account.today_water" : "account.today") + ": " + card.todayKwh + " " +
               p.t(card.water ? "unit.m3" : "unit.kwh") + "    " + p.f(card.daysLeft));
    iy += p.fonts().body->FontSize + l.px(14);
    if (card.salesBlocked) {
      p.text(p.fonts().body, ImVec2(cx + pad, iy), ui::colour::Danger,
             p.t("account.sales_blocked"));
    }
  }
  if (!vm.message().empty()) {
    p.textWrapped(p.fonts().body, ImVec2(x, menuY - gap - p.fonts().body->FontSize * 2), w,
                  ui::colour::Danger, p.f(vm.message()));
  }
  const char* keys[4] = {"menu.usage", "menu.alarms", "menu.recharge", "menu.history"};
  const Screen targets[4] = {Screen::Usage, Screen::Alarms, Screen::Recharge, Screen::History};
  const float bw = (w - 3 * gap) / 4;
  const bool allWater =
      !account.meters.empty() &&
      std::ranges::all_of(account.meters, [](const auto& m) { return m.medium == "water"; });
  for (int i = 0; i < 4; ++i) {
    const bool recharge = targets[i] == Screen::Recharge;
    const bool enabled = recharge ? s.online() : s.personal();
    // A shop with water meters only has no electricity to look up.
    std::string label = p.t(i == 0 && allWater ? std::string("menu.usage_water") : keys[i]);
    if (targets[i] == Screen::Alarms && !s.tenant().alarms.empty()) {
      label += " (" + std::to_string(s.tenant().alarms.size()) + ")";
    }
    if (p.button(keys[i], label, ImVec2(x + static_cast<float>(i) * (bw + gap), menuY),
                 ImVec2(bw, menuH), recharge ? ui::Tone::Selected : ui::Tone::Primary, enabled,
                 p.fonts().large)) {
      s.navigate(targets[i]);
    }
  }
}

}  // namespace prepaid::kiosk::screens
