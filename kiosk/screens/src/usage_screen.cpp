#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

void UsageScreen::draw(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  auto& s = frame.session;
  auto& vm = s.usage();
  const float gap = l.px(20);
  const float x = frame.origin.x;
  const float w = frame.size.x;
  float y = frame.origin.y;
  // Units and words follow the meter's kind: a water meter's chart is in m³ and 水费, not 电费.
  const auto& meters = s.tenant().account.meters;
  std::string medium = "electricity";
  for (const auto& meter : meters) {
    if (meter.meterId == vm.meterId()) {
      medium = meter.medium;
    }
  }
  const std::string title = p.t(mediumKey("usage.title", medium));
  p.text(p.fonts().large, ImVec2(x, y), ui::colour::Text, title);
  // Meter selector when the shop has several meters.
  if (meters.size() > 1) {
    float mx = x + p.measure(p.fonts().large, title).x + l.px(40);
    for (const auto& meter : meters) {
      const float bw = p.measure(p.fonts().body, meter.serial).x + l.px(48);
      if (p.button(joinId("m", meter.meterId).c_str(), meter.serial, ImVec2(mx, y),
                   ImVec2(bw, l.target(80)),
                   meter.meterId == vm.meterId() ? ui::Tone::Selected : ui::Tone::Secondary)) {
        vm.open(meter.meterId);
      }
      mx += bw + gap;
    }
  }
  y += std::max(p.fonts().large->FontSize, l.target(80)) + gap;
  // Period and metric tabs.
  const char* periodKeys[3] = {"usage.hour", "usage.day", "usage.month"};
  const Granularity periods[3] = {Granularity::Hour, Granularity::Day, Granularity::Month};
  const float tabH = l.target(100);
  const float tabW = (w - 4 * gap) / 5;
  for (int i = 0; i < 3; ++i) {
    if (p.button(periodKeys[i], p.t(periodKeys[i]),
                 ImVec2(x + static_cast<float>(i) * (tabW + gap), y), ImVec2(tabW, tabH),
                 vm.granularity() == periods[i] ? ui::Tone::Primary : ui::Tone::Secondary)) {
      vm.setGranularity(periods[i]);
    }
  }
  if (p.button("energy", p.t(mediumKey("usage.energy", medium)), ImVec2(x + 3 * (tabW + gap), y),
               ImVec2(tabW, tabH),
               vm.metric() == UsageMetric::Energy ? ui::Tone::Selected : ui::Tone::Secondary)) {
    vm.setMetric(UsageMetric::Energy);
  }
  if (p.button("money", p.t(mediumKey("usage.money", medium)), ImVec2(x + 4 * (tabW + gap), y),
               ImVec2(tabW, tabH),
               vm.metric() == UsageMetric::Money ? ui::Tone::Selected : ui::Tone::Secondary)) {
    vm.setMetric(UsageMetric::Money);
  }
  y += tabH + gap;
  const auto chart = vm.chart();
  const std::string unit =
      p.t(vm.metric() == UsageMetric::Money ? "unit.yuan" : energyUnitKey(medium));
  p.text(p.fonts().body, ImVec2(x, y), ui::colour::Text,
         p.f({"usage.total", {yuanText(chart.sum), unit}}));
  y += p.fonts().body->FontSize + gap;
  const float bottom = frame.origin.y + frame.size.y;
  p.panel(ImVec2(x, y), ImVec2(w, bottom - y), ui::colour::Surface);
  if (vm.loading()) {
    frame.animating = true;
    p.textCentred(p.fonts().large, x, w, y + (bottom - y) / 2, ui::colour::Muted,
                  p.t("account.loading"));
    return;
  }
  if (!vm.message().empty()) {
    p.textCentred(p.fonts().body, x, w, y + (bottom - y) / 2, ui::colour::Danger,
                  p.f(vm.message()));
    return;
  }
  const float pad = l.px(24);
  p.chart(chart, ImVec2(x + pad, y + pad), ImVec2(w - 2 * pad, bottom - y - 2 * pad));
}

}  // namespace prepaid::kiosk::screens
