#pragma once

// The renderer half of Painter's solid fills (ui::setSolidFill): a scissored glClear in place
// of a panel's textured, blended triangles. Header-only and for the frame loop's OpenGL context
// (prepaid-kiosk, bench-kiosk-frame), so prepaid::ui itself does not link OpenGL.

#include <cstdint>

#include <GL/gl.h>
#include <imgui.h>

namespace prepaid::kiosk::ui {

/// ImDrawCallback run by ImGui_ImplOpenGL3_RenderDrawData in draw order: fills the command's
/// clip rectangle with the ImU32 colour in UserCallbackData. The backend sets its own scissor
/// before its next draw; the clear colour is restored.
inline void glSolidFill(const ImDrawList*, const ImDrawCmd* cmd) {
  const ImDrawData* data = ImGui::GetDrawData();
  if (data == nullptr) {
    return;
  }
  const ImVec2 offset = data->DisplayPos;
  const ImVec2 scale = data->FramebufferScale;
  const float framebufferHeight = data->DisplaySize.y * scale.y;
  const float x0 = (cmd->ClipRect.x - offset.x) * scale.x;
  const float y0 = (cmd->ClipRect.y - offset.y) * scale.y;
  const float x1 = (cmd->ClipRect.z - offset.x) * scale.x;
  const float y1 = (cmd->ClipRect.w - offset.y) * scale.y;
  if (x1 <= x0 || y1 <= y0) {
    return;
  }
  const auto colour = static_cast<ImU32>(reinterpret_cast<std::uintptr_t>(cmd->UserCallbackData));
  const ImVec4 rgba = ImGui::ColorConvertU32ToFloat4(colour);
  GLfloat previous[4] = {0, 0, 0, 0};
  glGetFloatv(GL_COLOR_CLEAR_VALUE, previous);
  glEnable(GL_SCISSOR_TEST);
  glScissor(static_cast<GLint>(x0), static_cast<GLint>(framebufferHeight - y1),
            static_cast<GLsizei>(x1 - x0), static_cast<GLsizei>(y1 - y0));
  glClearColor(rgba.x, rgba.y, rgba.z, rgba.w);
  glClear(GL_COLOR_BUFFER_BIT);
  glClearColor(previous[0], previous[1], previous[2], previous[3]);
}

}  // namespace prepaid::kiosk::ui
