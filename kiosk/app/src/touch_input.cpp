#include "prepaid/kioskapp/touch_input.hpp"

#include <cfloat>

namespace prepaid::kiosk::app {

void TouchInput::down(float x, float y) {
  m_samples.push_back({x, y, true});
}

void TouchInput::move(float x, float y) {
  if (!m_samples.empty()) {
    m_samples.back().x = x;
    m_samples.back().y = y;
  } else if (m_down) {
    m_samples.push_back({x, y, true});
  }
}

void TouchInput::up(float x, float y) {
  m_samples.push_back({x, y, false});
}

void TouchInput::apply(ImGuiIO& io) {
  if (!m_samples.empty()) {
    const auto sample = m_samples.front();
    m_samples.pop_front();
    m_active = true;
    m_down = sample.down;
    m_x = sample.x;
    m_y = sample.y;
    m_releasedFrame = !sample.down;
  } else if (m_releasedFrame) {
    // One frame after the release, the finger is gone: no hover left behind.
    m_releasedFrame = false;
    m_active = m_down;
    if (!m_down) {
      io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
      io.MouseDown[0] = false;
      return;
    }
  }
  if (m_active) {
    io.MousePos = ImVec2(m_x, m_y);
    io.MouseDown[0] = m_down;
  }
}

bool isSynthesizedMouse(const SDL_Event& event) {
  switch (event.type) {
    case SDL_MOUSEMOTION:
      return event.motion.which == SDL_TOUCH_MOUSEID;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
      return event.button.which == SDL_TOUCH_MOUSEID;
    case SDL_MOUSEWHEEL:
      return event.wheel.which == SDL_TOUCH_MOUSEID;
    default:
      return false;
  }
}

RoutedEvent routeEvent(const SDL_Event& event, float width, float height,
                       CornerLongPress::TimePoint at, TouchInput& touch, CornerLongPress& gesture) {
  RoutedEvent routed;
  switch (event.type) {
    case SDL_QUIT:
      routed.quit = true;
      break;
    case SDL_FINGERDOWN: {
      const float x = event.tfinger.x * width;
      const float y = event.tfinger.y * height;
      touch.down(x, y);
      gesture.press(x, y, width, height, at);
      routed.input = true;
      break;
    }
    case SDL_FINGERMOTION: {
      const float x = event.tfinger.x * width;
      const float y = event.tfinger.y * height;
      touch.move(x, y);
      gesture.move(x, y, width, height);
      routed.input = true;
      break;
    }
    case SDL_FINGERUP:
      touch.up(event.tfinger.x * width, event.tfinger.y * height);
      gesture.release();
      routed.input = true;
      break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
    case SDL_MOUSEMOTION:
    case SDL_MOUSEWHEEL:
      if (isSynthesizedMouse(event)) {
        break;  // the finger event already handled this touch
      }
      // The left button also becomes pointer samples at the event's own position: the ImGui
      // SDL backend reads SDL's *current* mouse state at the frame, so two clicks queued while
      // a frame was slow (a loaded machine, software GL) would merge into one press at the
      // second position. One sample per frame keeps every click, where it happened.
      if (event.type == SDL_MOUSEBUTTONDOWN && event.button.button == SDL_BUTTON_LEFT) {
        const auto x = static_cast<float>(event.button.x);
        const auto y = static_cast<float>(event.button.y);
        touch.down(x, y);
        gesture.press(x, y, width, height, at);
      } else if (event.type == SDL_MOUSEBUTTONUP && event.button.button == SDL_BUTTON_LEFT) {
        touch.up(static_cast<float>(event.button.x), static_cast<float>(event.button.y));
        gesture.release();
      } else if (event.type == SDL_MOUSEMOTION && (event.motion.state & SDL_BUTTON_LMASK) != 0) {
        const auto x = static_cast<float>(event.motion.x);
        const auto y = static_cast<float>(event.motion.y);
        touch.move(x, y);
        gesture.move(x, y, width, height);
      }
      routed.forImGui = true;
      // Hovering is not a touch; a drag with the button held is.
      routed.input = event.type != SDL_MOUSEMOTION || (event.motion.state & SDL_BUTTON_LMASK) != 0;
      break;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
    case SDL_TEXTINPUT:
      // No keyboard on a kiosk: keys are ignored (a grabbed scanner never gets here).
      break;
    case SDL_WINDOWEVENT:
      routed.forImGui = true;
      break;
    default:
      break;
  }
  return routed;
}

}  // namespace prepaid::kiosk::app
