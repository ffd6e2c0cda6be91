#include "prepaid/screens/frame.hpp"

namespace prepaid::kiosk::screens {

namespace {

using Step = RechargeViewModel::Step;

void drawChoose(Frame& frame, RechargeViewModel& vm) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  auto& s = frame.session;
  const float gap = l.px(24);
  const float x = frame.origin.x;
  const float w = frame.size.x;
  float y = frame.origin.y;
  const auto& account = s.tenant().account;
  p.text(p.fonts().large, ImVec2(x, y), ui::colour::Text,
         p.t("recharge.title") + " · " + p.t("account.shop") + " " + account.shopNumber);
  y += p.fonts().large->FontSize + gap;
  // Meter choice (shops with several meters).
  if (account.meters.size() > 1) {
    float mx = x;
    for (const auto& meter : account.meters) {
      const float bw = p.measure(p.fonts().body, meter.serial).x + l.px(60);
      if (p.button(joinId("meter", meter.meterId).c_str(), meter.serial, ImVec2(mx, y),
                   ImVec2(bw, l.target(96)),
                   vm.meterId() == meter.meterId ? ui::Tone::Selected : ui::Tone::Secondary)) {
        vm.selectMeter(meter.meterId);
      }
      mx += bw + gap;
    }
    y += l.target(96) + gap;
  } else if (!account.meters.empty()) {
    p.text(p.fonts().body, ImVec2(x, y), ui::colour::Muted,
           p.t("account.meter") + " " + account.meters.front().serial);
    y += p.fonts().body->FontSize + gap;
  }
  if (const auto* meter = s.tenant().meter(vm.meterId()); meter != nullptr && meter->personal) {
    p.text(p.fonts().body, ImVec2(x, y), ui::colour::Text,
           p.t("account.balance") + ": ¥ " + yuanText(meter->balanceFen));
    y += p.fonts().body->FontSize + l.px(12);
  }
  if (const auto* meter = s.tenant().meter(vm.meterId())) {
    p.text(
        p.fonts().body, ImVec2(x, y), ui::colour::Muted,
        p.f({"recharge.cap_info", {yuanText(meter->hoardingCapFen), yuanText(vm.maxAmountFen())}}));
    y += p.fonts().body->FontSize + gap;
  }
  // Portrait: presets, amount pad, channel and pay stacked. Landscape: the left column holds
  // presets, channel and pay; the amount pad fills the right column.
  const auto& presets = s.settings().presetsFen;
  const float bottom = frame.origin.y + frame.size.y;
  const float payH = l.target(150);
  const float channelH = l.target(100);
  const float colW = l.portrait ? w : w * 0.56F;
  const std::size_t perRow = l.portrait ? presets.size() : 2;
  const float presetW = (colW - gap * static_cast<float>(perRow - 1)) / static_cast<float>(perRow);
  const std::size_t presetRows = (presets.size() + perRow - 1) / perRow;
  // Landscape: the presets share the left column with the channel and pay buttons at its foot,
  // so on a low screen (a shop with several meters, 1366x768) they give up height, down to a
  // touch target, rather than run into the channel buttons.
  float presetH = l.target(130);
  if (!l.portrait && presetRows > 0) {
    const float rowsF = static_cast<float>(presetRows);
    const float room = bottom - payH - channelH - 2 * gap - y - gap * rowsF;
    presetH = std::max(ui::MinTargetPx, std::min(presetH, room / rowsF));
  }
  for (std::size_t i = 0; i < presets.size(); ++i) {
    const bool selected = vm.customDigits().empty() && vm.amountFen() == presets[i];
    const float px = x + static_cast<float>(i % perRow) * (presetW + gap);
    const float py = y + static_cast<float>(i / perRow) * (presetH + gap);
    if (p.button(joinId("preset", presets[i]).c_str(), joinId("¥ ", presets[i] / 100),
                 ImVec2(px, py), ImVec2(presetW, presetH),
                 selected ? ui::Tone::Selected : ui::Tone::Secondary, true, p.fonts().large)) {
      vm.choosePreset(presets[i]);
    }
  }
  y += static_cast<float>(presetRows) * (presetH + gap);
  // Custom amount: display box and keypad.
  const float padX = l.portrait ? x + w - l.px(640) : x + colW + l.px(60);
  const float padW = l.portrait ? l.px(640) : w - colW - l.px(60);
  const float padTop = l.portrait ? y : frame.origin.y + p.fonts().body->FontSize + l.px(160);
  const float padH = l.portrait
                         ? std::min(l.px(560), bottom - y - payH - channelH - 3 * gap - l.px(40))
                         : bottom - padTop;
  const float boxX = l.portrait ? x : padX;
  const float boxY = l.portrait ? y : frame.origin.y;
  const float boxW = l.portrait ? w - padW - gap : padW;
  p.text(p.fonts().body, ImVec2(boxX, boxY), ui::colour::Muted, p.t("recharge.custom"));
  p.panel(ImVec2(boxX, boxY + p.fonts().body->FontSize + l.px(12)), ImVec2(boxW, l.px(120)),
          ui::colour::Surface);
  p.text(p.fonts().huge, ImVec2(boxX + l.px(24), boxY + p.fonts().body->FontSize + l.px(28)),
         ui::colour::Text, vm.customDigits().empty() ? "—" : "¥ " + vm.customDigits());
  const Message problem = vm.validation();
  if (!problem.empty()) {
    const float my = l.portrait ? boxY + p.fonts().body->FontSize + l.px(150) : y;
    p.textWrapped(p.fonts().body, ImVec2(x, my), l.portrait ? boxW : colW, ui::colour::Danger,
                  p.f(problem));
  }
  if (auto key = p.keypad("amountpad", ImVec2(padX, padTop), ImVec2(padW, padH), "123456789 0<", 3,
                          p.fonts().large)) {
    if (*key == '<') {
      vm.customBackspace();
    } else {
      vm.customKey(*key);
    }
  }
  // Channel and pay at the bottom of the (left) column.
  const float payY = bottom - payH;
  const float channelY = payY - gap - channelH;
  const float half = (colW - gap) / 2;
  if (p.button("qr", p.t("recharge.pay_qr"), ImVec2(x, channelY), ImVec2(half, channelH),
               vm.channel() == PaymentChannel::Qr ? ui::Tone::Selected : ui::Tone::Secondary)) {
    vm.setChannel(PaymentChannel::Qr);
  }
  if (p.button("code", p.t("recharge.pay_code"), ImVec2(x + half + gap, channelY),
               ImVec2(half, channelH),
               vm.channel() == PaymentChannel::Code ? ui::Tone::Selected : ui::Tone::Secondary)) {
    vm.setChannel(PaymentChannel::Code);
  }
  const bool online = s.online();
  const std::string payLabel =
      online ? p.f({"recharge.pay", {yuanText(vm.amountFen())}}) : p.t("recharge.offline_disabled");
  if (p.button("pay", payLabel, ImVec2(x, payY), ImVec2(colW, payH), ui::Tone::Primary,
               online && vm.canPay(), p.fonts().large)) {
    vm.pay();
  }
}

}  // namespace

void RechargeScreen::draw(Frame& frame) {
  auto& p = frame.paint;
  const auto& l = p.layout();
  auto& vm = frame.session.recharge();
  const float gap = l.px(30);
  const float x = frame.origin.x;
  const float w = frame.size.x;
  const float bottom = frame.origin.y + frame.size.y;
  float y = frame.origin.y;
  const float buttonH = l.target(140);
  switch (vm.step()) {
    case Step::Choose:
      drawChoose(frame, vm);
      return;
    case Step::CheckingPaper:
    case Step::Creating:
      frame.animating = true;
      p.textCentred(p.fonts().large, x, w, y + frame.size.y / 3, ui::colour::Text,
                    p.t(vm.step() == Step::Creating ? "recharge.creating" : "recharge.checking"));
      return;
    case Step::PaperWarning: {
      y += p.textWrapped(p.fonts().large, ImVec2(x, y + l.px(80)), w, ui::colour::Danger,
                         p.f(vm.message())) +
           l.px(160);
      const float half = (w - gap) / 2;
      if (p.button("nopaper", p.t("recharge.continue_no_receipt"), ImVec2(x, y),
                   ImVec2(half, buttonH))) {
        vm.continueWithoutReceipt();
      }
      if (p.button("cancel", p.t("recharge.cancel"), ImVec2(x + half + gap, y),
                   ImVec2(half, buttonH), ui::Tone::Secondary)) {
        vm.cancel();
      }
      return;
    }
    case Step::Waiting: {
      frame.animating = true;  // the countdown
      const auto& order = *vm.order();
      p.textCentred(p.fonts().huge, x, w, y, ui::colour::Text, "¥ " + yuanText(order.amountFen));
      y += p.fonts().huge->FontSize + l.px(16);
      p.textCentred(p.fonts().large, x, w, y, ui::colour::Text, p.f(vm.message()));
      y += p.fonts().large->FontSize + gap;
      if (vm.channel() == PaymentChannel::Qr) {
        const float side =
            std::min(w * 0.8F, bottom - y - buttonH - 3 * gap - p.fonts().large->FontSize);
        p.qr(order.qrCode, ImVec2(x + (w - side) / 2, y), side);
        y += side + gap;
      } else {
        y += l.px(200);
      }
      p.textCentred(p.fonts().large, x, w, y, ui::colour::Danger,
                    p.f({"recharge.countdown", {std::to_string(vm.secondsLeft(frame.now))}}));
      if (p.button("cancelpay", p.t("recharge.cancel"), ImVec2(x + w / 4, bottom - buttonH),
                   ImVec2(w / 2, buttonH), ui::Tone::Secondary)) {
        vm.cancel();
      }
      return;
    }
    case Step::Crediting:
      frame.animating = true;
      p.textCentred(p.fonts().huge, x, w, y + frame.size.y / 4, ui::colour::Success,
                    "¥ " + yuanText(vm.order()->amountFen));
      p.textCentred(p.fonts().large, x, w, y + frame.size.y / 4 + p.fonts().huge->FontSize + gap,
                    ui::colour::Text, p.t("recharge.crediting"));
      return;
    case Step::Done:
    case Step::CreditPending:
    case Step::Failed: {
      const bool done = vm.step() == Step::Done;
      const bool failed = vm.step() == Step::Failed;
      y += frame.size.y / 8;
      if (!failed) {
        p.textCentred(p.fonts().huge, x, w, y, done ? ui::colour::Success : ui::colour::Primary,
                      (done ? p.t("recharge.done") : std::string("¥ ")) +
                          (done ? "" : yuanText(vm.order()->amountFen)));
        y += p.fonts().huge->FontSize + gap;
      }
      if (done) {
        p.textCentred(p.fonts().large, x, w, y, ui::colour::Text,
                      "¥ " + yuanText(vm.order()->amountFen));
        y += p.fonts().large->FontSize + gap;
        if (!vm.balanceAfterYuan().empty()) {
          p.textCentred(p.fonts().large, x, w, y, ui::colour::Text,
                        p.f({"recharge.new_balance", {vm.balanceAfterYuan()}}));
          y += p.fonts().large->FontSize + gap;
        }
      } else {
        y += p.textWrapped(p.fonts().large, ImVec2(x, y), w,
                           failed ? ui::colour::Danger : ui::colour::Text, p.f(vm.message())) +
             gap;
      }
      if (!vm.receiptMessage().empty()) {
        p.textCentred(p.fonts().body, x, w, y, ui::colour::Muted, p.f(vm.receiptMessage()));
        y += p.fonts().body->FontSize + gap;
      }
      const float half = (w - gap) / 2;
      if (failed && p.button("again", p.t("recharge.again"), ImVec2(x, bottom - buttonH),
                             ImVec2(half, buttonH))) {
        vm.begin(vm.meterId());
      }
      if (p.button("finish", p.t("nav.home"),
                   ImVec2(failed ? x + half + gap : x + w / 4, bottom - buttonH),
                   ImVec2(failed ? half : w / 2, buttonH), ui::Tone::Secondary)) {
        frame.session.goAttract();
      }
      return;
    }
  }
}

}  // namespace prepaid::kiosk::screens
