#include "kiosk_app.hpp"

#include <cstdint>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>

#include "device_wiring.hpp"
#include <SDL.h>
#include <SDL_opengl.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <imgui.h>
#include <imgui_internal.h>
#include <nlohmann/json.hpp>

#include "prepaid/client/curl_api_client.hpp"
#include "prepaid/kioskapp/frame_wait.hpp"
#include "prepaid/kioskapp/touch_input.hpp"
#include "prepaid/screens/frame.hpp"
#include "prepaid/ui/catalog.hpp"
#include "prepaid/ui/font_set.hpp"
#include "prepaid/ui/gl_solid_fill.hpp"
#include "prepaid/viewmodels/kiosk_session.hpp"

namespace prepaid::kiosk::app {

namespace {

using Clock = std::chrono::steady_clock;

// How long leaving the app waits for queued audit posts.
constexpr std::chrono::milliseconds QuitFlushTimeout{2000};

void log(const std::string& line) {
  std::cerr << "prepaid-kiosk: " << line << std::endl;
}

enum class WallFormat { DateTime, Date, Minute };

// Local time of the kiosk machine (set to the site's zone at installation).
std::string wallText(WallFormat format) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buffer[64];
  switch (format) {
    case WallFormat::DateTime:
      std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &local);
      break;
    case WallFormat::Date:
      std::strftime(buffer, sizeof(buffer), "%Y-%m-%d", &local);
      break;
    case WallFormat::Minute:
      std::strftime(buffer, sizeof(buffer), "%H:%M", &local);
      break;
  }
  return buffer;
}

// Codes from the scanner thread, handed to the UI thread at the start of a frame.
class CodeQueue {
 public:
  void push(std::string code) {
    std::lock_guard lock(m_mutex);
    m_codes.push_back(std::move(code));
  }
  std::deque<std::string> take() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_codes, {});
  }

 private:
  std::mutex m_mutex;
  std::deque<std::string> m_codes;
};

// The e2e test's eyes: what the frame drew and where (written atomically).
void writeUiMap(const std::filesystem::path& path, Screen screen, const ui::Painter& painter) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& target : painter.targets()) {
    targets.push_back({{"id", target.id},
                       {"label", target.label},
                       {"x", target.pos.x},
                       {"y", target.pos.y},
                       {"w", target.size.x},
                       {"h", target.size.y},
                       {"enabled", target.enabled}});
  }
  const nlohmann::json map = {
      {"screen", toString(screen)}, {"targets", targets}, {"texts", painter.texts()}};
  const auto temp = path.string() + ".tmp";
  {
    std::ofstream out(temp);
    // Texts may hold scanned bytes that are not UTF-8: replaced, never an exception.
    out << map.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
}

}  // namespace

int runKiosk(const AppOptions& options, Clock::time_point started) {
  // Catalogue first: without texts there is nothing sensible to show.
  auto catalog = ui::Catalog::load(options.assetsDir / "i18n");
  if (!catalog) {
    log("cannot load translations: " + catalog.error());
    return 1;
  }
  SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");
  SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    log(std::string("SDL_Init failed: ") + SDL_GetError());
    return 1;
  }
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
  int width = 1080;
  int height = 1920;
  if (options.windowed) {
    width = options.windowed->first;
    height = options.windowed->second;
    flags |= SDL_WINDOW_RESIZABLE;
  } else {
    flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  }
  SDL_Window* window = SDL_CreateWindow("prepaid-kiosk", SDL_WINDOWPOS_CENTERED,
                                        SDL_WINDOWPOS_CENTERED, width, height, flags);
  if (window == nullptr) {
    log(std::string("cannot open a window: ") + SDL_GetError());
    SDL_Quit();
    return 1;
  }
  SDL_GLContext gl = SDL_GL_CreateContext(window);
  if (gl == nullptr) {
    log(std::string("cannot create an OpenGL 3 context: ") + SDL_GetError());
    SDL_DestroyWindow(window);
    SDL_Quit();
    return 1;
  }
  SDL_GL_MakeCurrent(window, gl);
  SDL_GL_SetSwapInterval(1);
  if (!options.windowed) {
    SDL_ShowCursor(SDL_DISABLE);
  }

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // nothing persisted by ImGui on a kiosk
  io.LogFilename = nullptr;
  ImGui::StyleColorsLight();
  // The font texture is sampled GL_NEAREST (see below): no texture-baked line edges then.
  ImGui::GetStyle().AntiAliasedLinesUseTex = false;
  ImGui_ImplSDL2_InitForOpenGL(window, gl);
  ImGui_ImplOpenGL3_Init("#version 130");
  // Large opaque panels as scissored clears: a software rasteriser's cost per frame drops by
  // the panels' textured, blended pixels (bench-kiosk-frame).
  ui::setSolidFill(&ui::glSolidFill);

  // Workers wake the UI through SDL's (thread-safe) event queue.
  const Uint32 wakeEvent = SDL_RegisterEvents(1);
  auto wake = [wakeEvent] {
    SDL_Event event{};
    event.type = wakeEvent;
    SDL_PushEvent(&event);
  };
  CurlApiClient::globalInit();
  ClientConfig clientConfig;
  clientConfig.baseUrl = options.settings.backendUrl;
  clientConfig.kioskKey = options.settings.kioskKey;
  CurlApiClient client(clientConfig);
  std::string printerError;
  auto printer = makePrinter(options.printerUri, options.printerEncoding, options.printerColumns,
                             options.fontPath.string(), printerError);
  if (!printerError.empty()) {
    log(printerError);
  }
  // Network calls and device I/O overlap (a poll while a receipt prints): a few workers.
  ThreadPoolRunner runner(3, wake);
  runner.setErrorReporter([](const std::string& error) { log(error); });
  KioskSession session(client, runner, printer.get(), options.settings);
  session.context().wallTimeText = [] { return wallText(WallFormat::DateTime); };
  session.context().log = [](const std::string& line) { log(line); };
  session.context().translate = [&catalog](Language language, const Message& message) {
    return catalog->format(language, message);
  };
  bool running = true;
  std::string printerUri = options.printerUri;
  std::string scannerUri = options.scannerUri;
  session.maintenance().scannerDescription = scannerUri;
  session.maintenance().onQuit = [&running] { running = false; };
  session.maintenance().onSettingsSaved = [&](const KioskSettings& saved) {
    ClientConfig config = client.config();
    config.baseUrl = saved.backendUrl;
    config.kioskKey = saved.kioskKey;
    client.configure(config);
    if (auto error = saveSettingsFile(options.configPath, saved, printerUri, scannerUri)) {
      log(*error);
    }
  };
  CodeQueue codes;
  std::unique_ptr<ScannerThread> scanner;
  if (!scannerUri.empty()) {
    scanner = std::make_unique<ScannerThread>(
        scannerUri,
        [&codes, wake](std::string code) {
          codes.push(std::move(code));
          wake();
        },
        [](const std::string& error) { log("scanner: " + error); });
  }

  // Without the CJK font every Chinese character would be drawn as '?': say so loudly in the
  // log and in maintenance mode, but keep serving (English still reads, staff can fix it).
  if (std::error_code ec; !std::filesystem::is_regular_file(options.fontPath, ec)) {
    const std::string warning = "CJK font " + options.fontPath.string() +
                                " is missing: Chinese text cannot be shown (install "
                                "fonts-wqy-microhei or pass --font)";
    log("WARNING: " + warning);
    session.maintenance().setWarning(warning);
  }
  ui::FontSet fonts(options.fontPath);
  fonts.requireAll(catalog->allTexts());
  fonts.require(session.settings().siteName);  // body size; the header's large size on demand
  screens::ScreenRouter router;
  std::ofstream stats;
  if (!options.frameStatsPath.empty()) {
    stats.open(options.frameStatsPath, std::ios::app);
  }
  TouchInput touch;
  bool firstFrame = true;
  int framesToRender = 2;
  Clock::time_point nextAnimation = Clock::time_point::max();
  std::string lastMinute;

  // After an exception mid-frame: close ImGui's frame (windows left open included) so the next
  // NewFrame starts clean, and draw again.
  auto recoverFrame = [&] {
    if (ImGuiContext* context = ImGui::GetCurrentContext();
        context != nullptr && context->WithinFrameScope) {
      ImGui::ErrorCheckEndFrameRecover(nullptr);
      ImGui::EndFrame();
    }
    framesToRender = std::max(framesToRender, 1);
    nextAnimation = std::min(nextAnimation, Clock::now() + std::chrono::milliseconds(1000));
  };

  while (running) {
    // Sleep until input, a worker result, or the next thing that is due: an idle kiosk wakes
    // once a minute for the clock and every 15 s for a health check; a pending payment once a
    // second for its countdown and every 1.5 s for its poll.
    const auto now = Clock::now();
    FrameWaitInputs waitInputs;
    waitInputs.now = now;
    waitInputs.sessionDue = session.nextWake(now);
    waitInputs.animationDue = nextAnimation;
    waitInputs.untilNextMinute = std::chrono::milliseconds((60 - (std::time(nullptr) % 60)) * 1000);
    waitInputs.renderPending = framesToRender > 0 || touch.pending();
    const int timeoutMs = frameWaitMs(waitInputs);
    SDL_Event event;
    bool gotEvent =
        timeoutMs > 0 ? SDL_WaitEventTimeout(&event, timeoutMs) != 0 : SDL_PollEvent(&event) != 0;
    while (gotEvent) {
      const auto at = Clock::now();
      int w = 0;
      int h = 0;
      SDL_GetWindowSize(window, &w, &h);
      const auto routed = routeEvent(event, static_cast<float>(w), static_cast<float>(h), at, touch,
                                     session.gesture());
      if (routed.quit) {
        running = false;
      }
      if (routed.forImGui) {
        ImGui_ImplSDL2_ProcessEvent(&event);
      }
      if (routed.input) {
        session.onInput(at);
      }
      framesToRender = std::max(framesToRender, 2);
      gotEvent = SDL_PollEvent(&event) != 0;
    }

    // Per-frame work under one catch: a bug in a view model, a screen or a continuation is
    // logged and the kiosk goes on with the next frame instead of exiting.
    try {
      // Start of frame: apply worker results and scanned codes on the UI thread.
      if (runner.drain() > 0) {
        framesToRender = std::max(framesToRender, 1);
      }
      for (auto& code : codes.take()) {
        session.codeScanned(code);
        framesToRender = std::max(framesToRender, 2);
      }
      const auto frameNow = Clock::now();
      const Screen before = session.screen();
      session.tick(frameNow);
      if (session.gesture().poll(frameNow)) {
        session.openMaintenance();
      }
      if (session.screen() != before) {
        framesToRender = std::max(framesToRender, 2);
      }
      const std::string minute = wallText(WallFormat::Minute);
      if (minute != lastMinute) {
        lastMinute = minute;
        framesToRender = std::max(framesToRender, 1);
      }
      if (nextAnimation <= frameNow) {
        nextAnimation = Clock::time_point::max();
        framesToRender = std::max(framesToRender, 1);
      }
      if (framesToRender <= 0 && !touch.pending()) {
        continue;
      }
      --framesToRender;

      // Render; when the frame drew characters the atlas lacks, rebuild it and draw again before
      // presenting, so no character is ever shown as a box.
      int w = 0;
      int h = 0;
      SDL_GetWindowSize(window, &w, &h);
      const auto layout = ui::makeLayout(static_cast<float>(w), static_cast<float>(h));
      const auto renderStart = Clock::now();
      bool presented = false;
      double buildMs = 0;  // our part: view models, layout, ImGui draw lists
      double glMs = 0;     // glClear + RenderDrawData (llvmpipe mostly defers to the swap)
      double swapMs = 0;   // SDL_GL_SwapWindow
      for (int attempt = 0; attempt < 3 && !presented; ++attempt) {
        if (fonts.dirty() || std::abs(fonts.scale() - layout.scale) > 0.001F) {
          if (auto built = fonts.build(layout.scale); !built) {
            log(built.error());
          } else if (!firstFrame) {
            log("font atlas rebuilt: " + std::to_string(fonts.glyphCount()) + " glyphs, " +
                std::to_string(fonts.atlasPixels() / 1000) + " kpx");
          }
          ImGui_ImplOpenGL3_DestroyFontsTexture();
          ImGui_ImplOpenGL3_CreateFontsTexture();
          // Glyphs are rasterised at the drawn size and placed on whole pixels, so nearest is
          // what linear gives, at a quarter of the texture reads (a software rasteriser's cost).
          glBindTexture(GL_TEXTURE_2D,
                        static_cast<GLuint>(reinterpret_cast<std::uintptr_t>(io.Fonts->TexID)));
          glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
          glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
          // The GPU has the atlas now; the CPU copies (alpha + RGBA, tens of MB with CJK at four
          // sizes) are not needed until the next rebuild, which rasterises again anyway.
          io.Fonts->ClearTexData();
        }
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplSDL2_NewFrame();
        if (attempt == 0) {
          touch.apply(io);
        }
        ImGui::NewFrame();
        ui::Painter painter(fonts, *catalog, layout, session.language());
        screens::Frame frame{session,
                             painter,
                             frameNow,
                             minute,
                             wallText(WallFormat::Date),
                             ImVec2(0, 0),
                             ImVec2(static_cast<float>(w), static_cast<float>(h))};
        router.drawWindow(frame);
        ImGui::Render();
        const auto built = Clock::now();
        buildMs = std::chrono::duration<double, std::milli>(built - renderStart).count();
        if (fonts.dirty()) {
          continue;  // new glyphs: rebuild and redraw before anything is shown
        }
        glViewport(0, 0, static_cast<int>(io.DisplaySize.x), static_cast<int>(io.DisplaySize.y));
        // The root window has no background of its own: the clear is the page colour.
        const ImVec4 page = ImGui::ColorConvertU32ToFloat4(ui::colour::Background);
        glClearColor(page.x, page.y, page.z, 1.0F);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        const auto drawn = Clock::now();
        SDL_GL_SwapWindow(window);
        glMs = std::chrono::duration<double, std::milli>(drawn - built).count();
        swapMs = std::chrono::duration<double, std::milli>(Clock::now() - drawn).count();
        presented = true;
        if (!options.uiMapPath.empty()) {
          writeUiMap(options.uiMapPath, session.screen(), painter);
        }
        if (frame.animating) {
          // Countdowns and "loading" text change at most once a second.
          nextAnimation = std::min(nextAnimation, Clock::now() + std::chrono::milliseconds(1000));
        }
      }
      const auto renderEnd = Clock::now();
      const double frameMs =
          std::chrono::duration<double, std::milli>(renderEnd - renderStart).count();
      if (firstFrame) {
        firstFrame = false;
        const double coldMs =
            std::chrono::duration<double, std::milli>(renderEnd - started).count();
        log("first frame after " + std::to_string(static_cast<int>(coldMs)) + " ms (" +
            std::to_string(w) + "x" + std::to_string(h) + ", " +
            std::to_string(fonts.glyphCount()) + " glyphs, atlas " +
            std::to_string(fonts.atlasPixels() / 1000) + " kpx)");
        if (stats) {
          stats << "first_frame_ms " << coldMs << "\n";
        }
      }
      if (stats) {
        // Total (incl. GL rasterising and presenting), our CPU part before the GL calls, the GL
        // calls and the swap (bench-kiosk-frame measures the same split with glFinish).
        stats << "frame_ms " << toString(session.screen()) << " " << frameMs << " " << buildMs
              << " " << glMs << " " << swapMs << "\n";
        stats.flush();
      }
    } catch (const std::exception& e) {
      log(std::string("frame failed (continuing): ") + e.what());
      recoverFrame();
    } catch (...) {
      log("frame failed (continuing): unknown exception");
      recoverFrame();
    }
  }

  // The last audit posts ("kiosk.app.quit") may still be queued: the runner's destructor drops
  // queued work, so give them a bounded moment.
  if (!runner.waitIdle(QuitFlushTimeout)) {
    log("exiting with " + std::to_string(runner.pending()) + " background task(s) unfinished");
  }
  scanner.reset();
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplSDL2_Shutdown();
  ImGui::DestroyContext();
  SDL_GL_DeleteContext(gl);
  SDL_DestroyWindow(window);
  SDL_Quit();
  return 0;
}

}  // namespace prepaid::kiosk::app
