#include "prepaid/kioskapp/touch_input.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace prepaid::kiosk::app {
namespace {

using namespace std::chrono_literals;
constexpr float Width = 1080;
constexpr float Height = 1920;

// SDL's event queue without a window or a video driver, plus an ImGui context whose IO the
// finger samples write (no renderer needed: the test reads io.MouseDown / io.MousePos).
class TouchInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(SDL_Init(SDL_INIT_EVENTS), 0) << SDL_GetError();
    SDL_FlushEvents(SDL_FIRSTEVENT, SDL_LASTEVENT);
    m_imgui = ImGui::CreateContext();
  }
  void TearDown() override {
    ImGui::DestroyContext(m_imgui);
    SDL_Quit();
  }

  static void pushFinger(Uint32 type, float x, float y) {
    SDL_Event event{};
    event.type = type;
    event.tfinger.touchId = 1;
    event.tfinger.fingerId = 0;
    event.tfinger.x = x / Width;
    event.tfinger.y = y / Height;
    ASSERT_EQ(SDL_PushEvent(&event), 1) << SDL_GetError();
  }
  // What SDL synthesizes from the same touch (SDL_HINT_TOUCH_MOUSE_EVENTS on).
  static void pushMouse(Uint32 type, float x, float y, Uint32 which = SDL_TOUCH_MOUSEID) {
    SDL_Event event{};
    event.type = type;
    if (type == SDL_MOUSEMOTION) {
      event.motion.which = which;
      event.motion.x = static_cast<Sint32>(x);
      event.motion.y = static_cast<Sint32>(y);
      event.motion.state = SDL_BUTTON_LMASK;
    } else {
      event.button.which = which;
      event.button.button = SDL_BUTTON_LEFT;
      event.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
      event.button.x = static_cast<Sint32>(x);
      event.button.y = static_cast<Sint32>(y);
    }
    ASSERT_EQ(SDL_PushEvent(&event), 1) << SDL_GetError();
  }

  struct Routed {
    int input = 0;
    int forImGui = 0;
  };
  // Drains SDL's queue through routeEvent, as the frame loop does.
  Routed pump(CornerLongPress::TimePoint at) {
    Routed routed;
    SDL_Event event;
    while (SDL_PollEvent(&event) != 0) {
      const auto r = routeEvent(event, Width, Height, at, m_touch, m_gesture);
      routed.input += r.input ? 1 : 0;
      routed.forImGui += r.forImGui ? 1 : 0;
    }
    return routed;
  }
  // Runs frames until no sample is pending; counts presses (mouse-down edges) and where.
  int framesAndPresses(std::vector<ImVec2>* where = nullptr) {
    ImGuiIO& io = ImGui::GetIO();
    io.MouseDown[0] = false;
    bool wasDown = false;
    int presses = 0;
    for (int frame = 0; frame < 20 && (frame == 0 || m_touch.pending()); ++frame) {
      m_touch.apply(io);
      if (io.MouseDown[0] && !wasDown) {
        ++presses;
        if (where != nullptr) {
          where->push_back(io.MousePos);
        }
      }
      wasDown = io.MouseDown[0];
    }
    return presses;
  }

  ImGuiContext* m_imgui = nullptr;
  TouchInput m_touch;
  CornerLongPress m_gesture;
  CornerLongPress::TimePoint m_now = CornerLongPress::TimePoint{} + 1h;
};

TEST_F(TouchInputTest, TapWithSynthesizedMouseEventsIsExactlyOnePress) {
  pushFinger(SDL_FINGERDOWN, 540, 1200);
  pushMouse(SDL_MOUSEMOTION, 540, 1200);
  pushMouse(SDL_MOUSEBUTTONDOWN, 540, 1200);
  pushFinger(SDL_FINGERUP, 540, 1200);
  pushMouse(SDL_MOUSEBUTTONUP, 540, 1200);
  const auto routed = pump(m_now);
  EXPECT_EQ(routed.input, 2);     // the two finger events
  EXPECT_EQ(routed.forImGui, 0);  // nothing of the synthesized mouse reaches ImGui
  std::vector<ImVec2> where;
  EXPECT_EQ(framesAndPresses(&where), 1);
  ASSERT_EQ(where.size(), 1U);
  EXPECT_FLOAT_EQ(where[0].x, 540);
  EXPECT_FLOAT_EQ(where[0].y, 1200);
  // One frame after the release the pointer is gone: no hover left on the button.
  EXPECT_FALSE(ImGui::GetIO().MouseDown[0]);
  EXPECT_LT(ImGui::GetIO().MousePos.x, 0);
}

TEST_F(TouchInputTest, TapShorterThanAFrameIsStillPressAndRelease) {
  // Down and up arrive between two frames: one frame sees the press, the next the release.
  pushFinger(SDL_FINGERDOWN, 100, 100);
  pushFinger(SDL_FINGERUP, 100, 100);
  (void)pump(m_now);
  ImGuiIO& io = ImGui::GetIO();
  m_touch.apply(io);
  EXPECT_TRUE(io.MouseDown[0]);
  m_touch.apply(io);
  EXPECT_FALSE(io.MouseDown[0]);
}

TEST_F(TouchInputTest, TwoTapsAreTwoPresses) {
  for (int i = 0; i < 2; ++i) {
    pushFinger(SDL_FINGERDOWN, 300, 400);
    pushMouse(SDL_MOUSEBUTTONDOWN, 300, 400);
    pushFinger(SDL_FINGERUP, 300, 400);
    pushMouse(SDL_MOUSEBUTTONUP, 300, 400);
  }
  (void)pump(m_now);
  EXPECT_EQ(framesAndPresses(), 2);
}

TEST_F(TouchInputTest, RealMouseStillGoesToImGui) {
  pushMouse(SDL_MOUSEBUTTONDOWN, 10, 10, 0);
  pushMouse(SDL_MOUSEBUTTONUP, 10, 10, 0);
  const auto routed = pump(m_now);
  EXPECT_EQ(routed.forImGui, 2);
  EXPECT_EQ(routed.input, 2);
  EXPECT_EQ(framesAndPresses(), 1);
}

TEST_F(TouchInputTest, MouseClicksQueuedDuringASlowFrameStayApartAndInPlace) {
  // Two clicks arrive before the next frame (loaded machine): two presses, each where it was,
  // not one press at the second position (what SDL's current mouse state would give).
  pushMouse(SDL_MOUSEBUTTONDOWN, 100, 200, 0);
  pushMouse(SDL_MOUSEBUTTONUP, 100, 200, 0);
  pushMouse(SDL_MOUSEBUTTONDOWN, 700, 900, 0);
  pushMouse(SDL_MOUSEBUTTONUP, 700, 900, 0);
  (void)pump(m_now);
  std::vector<ImVec2> where;
  EXPECT_EQ(framesAndPresses(&where), 2);
  ASSERT_EQ(where.size(), 2U);
  EXPECT_FLOAT_EQ(where[0].x, 100);
  EXPECT_FLOAT_EQ(where[1].x, 700);
}

TEST_F(TouchInputTest, SynthesizedWheelIsDropped) {
  SDL_Event event{};
  event.type = SDL_MOUSEWHEEL;
  event.wheel.which = SDL_TOUCH_MOUSEID;
  EXPECT_TRUE(isSynthesizedMouse(event));
  event.wheel.which = 0;
  EXPECT_FALSE(isSynthesizedMouse(event));
}

TEST_F(TouchInputTest, CornerLongPressStartsFromFingerEvents) {
  pushFinger(SDL_FINGERDOWN, 20, 20);
  pushMouse(SDL_MOUSEBUTTONDOWN, 20, 20);
  (void)pump(m_now);
  EXPECT_FALSE(m_gesture.poll(m_now + 2s));
  EXPECT_TRUE(m_gesture.poll(m_now + 3s));
  pushFinger(SDL_FINGERUP, 20, 20);
  pushMouse(SDL_MOUSEBUTTONUP, 20, 20);
  (void)pump(m_now + 3s);
  EXPECT_FALSE(m_gesture.deadline());
}

TEST_F(TouchInputTest, LiftingTheFingerEarlyCancelsTheCornerGesture) {
  pushFinger(SDL_FINGERDOWN, 20, 20);
  (void)pump(m_now);
  pushFinger(SDL_FINGERUP, 20, 20);
  pushMouse(SDL_MOUSEBUTTONUP, 20, 20);
  (void)pump(m_now + 1s);
  EXPECT_FALSE(m_gesture.poll(m_now + 4s));
}

TEST_F(TouchInputTest, KeysAreIgnored) {
  SDL_Event event{};
  event.type = SDL_KEYDOWN;
  event.key.keysym.sym = SDLK_1;
  ASSERT_EQ(SDL_PushEvent(&event), 1);
  const auto routed = pump(m_now);
  EXPECT_EQ(routed.input, 0);
  EXPECT_EQ(routed.forImGui, 0);
}

}  // namespace
}  // namespace prepaid::kiosk::app
