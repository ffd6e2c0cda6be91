#pragma once

// Screens drawn without a window: an ImGui context with a FreeType-built font atlas (no
// renderer: NewFrame/Render only need the atlas built), a KioskSession on the view-model fakes,
// and taps given as mouse input over a target's rectangle, frame by frame as the kiosk does.

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "../viewmodels/fakes.hpp"
#include <imgui.h>

#include "prepaid/screens/frame.hpp"
#include "prepaid/ui/catalog.hpp"
#include "prepaid/ui/font_set.hpp"
#include "prepaid/ui/layout.hpp"

namespace prepaid::kiosk::testing {

/// What one presented frame drew.
struct Drawn {
  ui::Layout layout;
  std::vector<ui::Painter::Target> targets;
  std::vector<std::string> texts;
  std::vector<ui::Painter::TextBox> textBoxes;
  bool animating = false;

  [[nodiscard]] const ui::Painter::Target* target(const std::string& id) const {
    for (const auto& t : targets) {
      if (t.id == id) {
        return &t;
      }
    }
    return nullptr;
  }
  /// The target that must be on screen; a missing one fails the test (gtest reports the throw).
  [[nodiscard]] const ui::Painter::Target& require(const std::string& id) const {
    for (const auto& t : targets) {
      if (t.id == id) {
        return t;
      }
    }
    throw std::runtime_error("no target '" + id + "' on screen");
  }
  [[nodiscard]] bool showsText(const std::string& needle) const {
    return std::ranges::any_of(
        texts, [&](const std::string& t) { return t.find(needle) != std::string::npos; });
  }
};

class HeadlessUi {
 public:
  HeadlessUi()
      : m_context(ImGui::CreateContext()),
        m_catalog(loadCatalog()),
        m_fonts(std::filesystem::path(ui::DefaultFontPath)) {
    ImGui::GetIO().IniFilename = nullptr;
    m_fonts.requireAll(m_catalog.allTexts());
  }
  ~HeadlessUi() { ImGui::DestroyContext(m_context); }
  HeadlessUi(const HeadlessUi&) = delete;
  HeadlessUi& operator=(const HeadlessUi&) = delete;

  /// Draws frames as the kiosk's loop does (atlas rebuilt and the frame drawn again when it drew
  /// new characters) and returns the presented one.
  Drawn draw(KioskSession& session, SteadyTime now, float width, float height) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(width, height);
    io.DeltaTime = 1.0F / 60.0F;
    const auto layout = ui::makeLayout(width, height);
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (m_fonts.dirty() || m_fonts.scale() != layout.scale) {
        lastBuild = m_fonts.build(layout.scale);
        ++builds;
      }
      ImGui::NewFrame();
      ui::Painter painter(m_fonts, m_catalog, layout, session.language());
      screens::Frame frame{
          session, painter, now, "08:30", "2024-05-01", ImVec2(0, 0), ImVec2(width, height)};
      m_router.drawWindow(frame);
      ImGui::Render();
      if (!m_fonts.dirty()) {
        return Drawn{layout, painter.targets(), painter.texts(), painter.textBoxes(),
                     frame.animating};
      }
    }
    throw std::runtime_error("the font atlas is still missing glyphs after 3 rebuilds");
  }

  /// Presses and releases the target `id` (three frames: hover, press, release). False when
  /// the target is not on the screen.
  bool tap(KioskSession& session, SteadyTime now, float width, float height,
           const std::string& id) {
    const Drawn before = draw(session, now, width, height);
    const auto* t = before.target(id);
    if (t == nullptr) {
      return false;
    }
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(t->pos.x + t->size.x / 2, t->pos.y + t->size.y / 2);
    (void)draw(session, now, width, height);
    io.MouseDown[0] = true;
    (void)draw(session, now, width, height);
    io.MouseDown[0] = false;
    (void)draw(session, now, width, height);
    io.MousePos = ImVec2(-1, -1);
    return true;
  }

  [[nodiscard]] const ui::Catalog& catalog() const { return m_catalog; }
  [[nodiscard]] ui::FontSet& fonts() { return m_fonts; }

  int builds = 0;
  std::expected<void, std::string> lastBuild;

 private:
  static ui::Catalog loadCatalog() {
    auto catalog = ui::Catalog::load(std::filesystem::path(PREPAID_SOURCE_DIR) / "assets" / "i18n");
    if (!catalog) {
      throw std::runtime_error(catalog.error());
    }
    return std::move(*catalog);
  }

  ImGuiContext* m_context;
  ui::Catalog m_catalog;
  ui::FontSet m_fonts;
  screens::ScreenRouter m_router;
};

// A shop with an electricity and a water meter, alarms and recharges enough to need paging.
struct Site : Harness {
  Site() {
    auto shop = testing::account();
    auto water = testing::meter(12, 8000);
    water.medium = "water";
    water.serial = "W-0012";
    shop.meters.push_back(water);
    shop.tenantName = "龘*";
    api.identifyResult = shop;
    api.accountResult = shop;
    for (int i = 0; i < 14; ++i) {
      api::AlarmView alarm;
      alarm.alarmId = i + 1;
      alarm.meterId = 11;
      alarm.kind = i % 2 == 0 ? "alarm1" : "lost_contact";
      alarm.raisedAt = "2024-05-01T08:" + std::to_string(10 + i) + ":00+08:00";
      api.alarmsResult.push_back(alarm);
      api::RechargeView recharge;
      recharge.entryId = 100 + i;
      recharge.meterId = 11;
      recharge.kind = i % 3 == 2 ? "refund" : "recharge";
      recharge.amountFen = 10000 + i * 100;
      recharge.source = "pay:wechat";
      recharge.createdAt = "2024-04-" + std::to_string(10 + i) + "T09:00:00+08:00";
      api.rechargesResult.push_back(recharge);
    }
    api::UsageSeries series;
    series.meterId = 11;
    series.granularity = "day";
    for (int d = 1; d <= 30; ++d) {
      api::UsagePoint point;
      point.periodStart = "2024-04-" + std::string(d < 10 ? "0" : "") + std::to_string(d);
      point.energyByRateCentiKwh = {100 * d, 200, 300, 400};
      point.energyCentiKwh = 100 * d + 900;
      point.moneyByRateFen = {150 * d, 250, 350, 50};
      point.moneyFen = 150 * d + 650;
      series.points.push_back(point);
    }
    api.usageResult = series;
  }
  void identified() {
    identifyShop("A101");
    runner.settle();
  }
  void recharge(RechargeViewModel::Step wanted) {
    using Step = RechargeViewModel::Step;
    identified();
    session.navigate(Screen::Recharge);
    runner.settle();
    if (wanted == Step::Choose) {
      return;
    }
    if (wanted == Step::PaperWarning) {
      printer.paper = devices::PaperStatus::Out;
    }
    session.recharge().choosePreset(10000);
    session.recharge().pay();
    runner.settle();
    if (wanted == Step::Crediting) {
      api.orderScript = {testing::order(OrderState::Paid)};
      advance(std::chrono::seconds(2));
    } else if (wanted == Step::Done) {
      api.orderScript = {testing::order(OrderState::Credited)};
      advance(std::chrono::seconds(2));
    } else if (wanted == Step::Failed) {
      api.orderScript = {testing::order(OrderState::Failed)};
      advance(std::chrono::seconds(2));
    }
  }
};

}  // namespace prepaid::kiosk::testing
