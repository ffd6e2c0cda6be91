#pragma once

// Touch for the kiosk shell: SDL finger events drive the UI, and the mouse events SDL
// synthesizes from the same touch (which == SDL_TOUCH_MOUSEID) are dropped, so every tap is
// handled exactly once. Finger samples are applied one per frame, after
// ImGui_ImplSDL2_NewFrame, so a tap shorter than a frame is still a press followed by a release.

#include <deque>

#include <SDL.h>
#include <imgui.h>

#include "prepaid/viewmodels/corner_long_press.hpp"

namespace prepaid::kiosk::app {

class TouchInput {
 public:
  /// A finger went down / moved / went up at window pixel (x, y).
  void down(float x, float y);
  void move(float x, float y);
  void up(float x, float y);
  /// Once per frame after ImGui_ImplSDL2_NewFrame (which reads the system mouse): the next
  /// finger sample overrides the mouse state; one frame after a release the pointer leaves.
  void apply(ImGuiIO& io);
  /// True while samples wait to be applied (the frame loop must not sleep then).
  [[nodiscard]] bool pending() const { return !m_samples.empty() || m_releasedFrame; }

 private:
  struct Sample {
    float x;
    float y;
    bool down;
  };
  std::deque<Sample> m_samples;
  bool m_active = false;
  bool m_down = false;
  bool m_releasedFrame = false;
  float m_x = 0;
  float m_y = 0;
};

/// What one SDL event meant for the shell.
struct RoutedEvent {
  bool input = false;     // a touch or click: restarts the idle timer
  bool forImGui = false;  // pass to ImGui_ImplSDL2_ProcessEvent (real mouse, window events)
  bool quit = false;      // SDL_QUIT
};

/// True for a mouse event SDL synthesized from a touch (its finger event is the real one).
[[nodiscard]] bool isSynthesizedMouse(const SDL_Event& event);

/// Routes one SDL event on a `width` x `height` window: finger events to `touch` and the
/// corner gesture; real left-button events to `touch` as well (one sample per frame at the
/// event's position), to the gesture, and to ImGui by the caller; synthesized mouse events and
/// keys nowhere.
[[nodiscard]] RoutedEvent routeEvent(const SDL_Event& event, float width, float height,
                                     CornerLongPress::TimePoint at, TouchInput& touch,
                                     CornerLongPress& gesture);

}  // namespace prepaid::kiosk::app
