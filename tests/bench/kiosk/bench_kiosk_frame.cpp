// bench-kiosk-frame: where a frame of the kiosk's chart screen spends its time (issue 8, "frame
// time p99 on the chart screen", goal < 16.7 ms).
//
// The kiosk's own drawing code (KioskSession + ScreenRouter::drawWindow + Painter + FontSet,
// SDL2 + OpenGL 3 + ImGui exactly as prepaid-kiosk sets them up) draws the usage screen of a
// shop with two meters, cycling hour / 30 days / 12 months x energy / money so every frame is
// redrawn. Each frame is split into
//   build  ImGui_ImplOpenGL3_NewFrame .. ImGui::Render: our CPU time (view models, layout,
//          draw lists) plus ImGui's own bookkeeping
//   gl     glClear + ImGui_ImplOpenGL3_RenderDrawData (+ glFinish with --finish on, so the
//          software rasteriser's work lands here and not in the swap)
//   swap   SDL_GL_SwapWindow (with Xvfb: copying the frame into the X server)
// and p50 / p99 / max of each and of the total are printed for each window size. In the same run
// an empty frame (glClear + swap, nothing drawn) at the same size measures what the GL stack
// costs for nothing at all: the floor no change of ours can go below.
//
// With no DISPLAY it starts its own Xvfb (-displayfd: a free display number) and stops it at the
// end; with no Xvfb either it says so and exits 77 (ctest: skipped).

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <SDL.h>
#include <SDL_opengl.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <fcntl.h>
#include <imgui.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prepaid/screens/frame.hpp"
#include "prepaid/ui/catalog.hpp"
#include "prepaid/ui/font_set.hpp"
#include "prepaid/ui/gl_solid_fill.hpp"
#include "prepaid/version.hpp"
#include "prepaid/viewmodels/kiosk_session.hpp"

extern char** environ;

// Heap allocations made while a frame is built (operator new: our code; ImGui's allocator is
// counted separately through SetAllocatorFunctions). Counting is on only inside the build phase.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::uint64_t> g_newCalls{0};
std::atomic<std::uint64_t> g_imguiAllocs{0};
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_newCalls.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) {
  return ::operator new(size);
}
// The nothrow forms too, so every unaligned new/delete pair is malloc/free here (a sanitizer's
// own nothrow new must not meet this delete).
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_newCalls.fetch_add(1, std::memory_order_relaxed);
  }
  return std::malloc(size == 0 ? 1 : size);
}
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

// Under AddressSanitizer, leak checking is off for this program: the system's GL/X/D-Bus stack
// (SDL's D-Bus connection, Mesa's llvmpipe and its JIT, libraries unloaded at SDL_Quit) keeps
// allocations until exit that LeakSanitizer cannot even attribute to a module. Address errors
// are still caught; the kiosk's own classes are leak-checked by their unit tests.
extern "C" const char* __lsan_default_options() {
  return "detect_leaks=0";
}

namespace {

using namespace prepaid::kiosk;
using Clock = std::chrono::steady_clock;
namespace api = prepaid::backend::api;

constexpr int SkipExitCode = 77;
constexpr double FrameBudgetMs = 1000.0 / 60.0;

struct BenchOptions {
  int frames = 600;
  int warmup = 30;
  std::vector<std::string> sizes{"1080x1920", "1920x1080"};
  bool vsync = true;     // as prepaid-kiosk: SDL_GL_SetSwapInterval(1)
  bool finish = true;    // glFinish after RenderDrawData (attribute rasterising to "gl")
  bool emptyRun = true;  // also time empty frames (clear + swap)
  std::string fontPath = ui::DefaultFontPath;
  std::string assetsDir = PREPAID_SOURCE_DIR "/assets";
  std::string jsonPath;
  std::string language = "zh-CN";
  // The frame as prepaid-kiosk draws it before issue 8: font texture GL_LINEAR (the backend's
  // default) with texture-baked line edges, and the root window painting a full-screen
  // background over the clear. Same draw code otherwise, so the difference is what changed.
  bool baseline = false;
  bool solidFill = true;         // large opaque panels as scissored clears (ui::setSolidFill)
  std::string screenshotPrefix;  // write the last chart frame as <prefix>-WxH.ppm
};

// The back buffer as a binary PPM (top row first), to compare renderings pixel by pixel.
bool writePpm(const std::string& path, int width, int height) {
  std::vector<unsigned char> pixels(static_cast<std::size_t>(width) *
                                    static_cast<std::size_t>(height) * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
  std::ofstream out(path, std::ios::binary);
  out << "P6\n" << width << " " << height << "\n255\n";
  const auto row = static_cast<std::size_t>(width) * 3;
  for (int y = height - 1; y >= 0; --y) {
    out.write(reinterpret_cast<const char*>(pixels.data() + static_cast<std::size_t>(y) * row),
              static_cast<std::streamsize>(row));
  }
  return static_cast<bool>(out);
}

double msSince(Clock::time_point t0, Clock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

// CPU time of the whole process (all threads, so llvmpipe's rasteriser threads too), ms. Wall
// time on a shared 2-core machine includes waiting for a core; CPU time is the work.
double processCpuMs() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  std::string five;
  in >> one >> five;
  return one + " (1 min), " + five + " (5 min)";
}

// Pixels covered by the frame's triangles (overdraw counted): what the rasteriser must shade.
double coveredPixels(const ImDrawData& data) {
  double area = 0;
  for (int l = 0; l < data.CmdListsCount; ++l) {
    const ImDrawList& list = *data.CmdLists[l];
    for (int i = 0; i + 2 < list.IdxBuffer.Size; i += 3) {
      const ImVec2 a = list.VtxBuffer[list.IdxBuffer[i]].pos;
      const ImVec2 b = list.VtxBuffer[list.IdxBuffer[i + 1]].pos;
      const ImVec2 c = list.VtxBuffer[list.IdxBuffer[i + 2]].pos;
      area += std::abs((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)) / 2.0;
    }
  }
  return area;
}

// ---- a fake backend: one shop with two meters and a full set of usage series ----------------

api::UsagePoint point(std::string periodStart, std::int64_t scale, int i) {
  api::UsagePoint p;
  p.periodStart = std::move(periodStart);
  // Deterministic, uneven bars: a daily shape plus some variation.
  const std::int64_t base = scale * (3 + (i * 7) % 11);
  p.energyByRateCentiKwh = {base / 6, base / 3, base / 3, base / 6};
  p.energyCentiKwh = 0;
  for (auto v : p.energyByRateCentiKwh) {
    p.energyCentiKwh += v;
  }
  // 0.95 yuan/kWh flat-ish with TOU weights: fen = centiKwh * price / 100.
  const std::array<std::int64_t, 4> priceFenPerKwh = {135, 115, 95, 55};
  p.moneyFen = 0;
  for (std::size_t r = 0; r < 4; ++r) {
    p.moneyByRateFen[r] = p.energyByRateCentiKwh[r] * priceFenPerKwh[r] / 100;
    p.moneyFen += p.moneyByRateFen[r];
  }
  return p;
}

api::UsageSeries series(std::int64_t meterId, Granularity granularity) {
  api::UsageSeries s;
  s.meterId = meterId;
  s.granularity = std::string(toString(granularity));
  char buffer[40];
  switch (granularity) {
    case Granularity::Hour:
      for (int h = 0; h < 24; ++h) {
        std::snprintf(buffer, sizeof(buffer), "2024-05-20T%02d:00:00+08:00", h);
        s.points.push_back(point(buffer, 40, h));
      }
      break;
    case Granularity::Day:
      for (int d = 0; d < 30; ++d) {
        std::snprintf(buffer, sizeof(buffer), "2024-%02d-%02dT00:00:00+08:00", d < 10 ? 4 : 5,
                      d < 10 ? 21 + d : d - 9);
        s.points.push_back(point(buffer, 900, d));
      }
      break;
    case Granularity::Month:
      for (int m = 0; m < 12; ++m) {
        std::snprintf(buffer, sizeof(buffer), "%04d-%02d-01T00:00:00+08:00", m < 7 ? 2023 : 2024,
                      (m + 5) % 12 + 1);
        s.points.push_back(point(buffer, 27000, m));
      }
      break;
  }
  return s;
}

api::MeterView meter(std::int64_t id, std::int64_t balanceFen) {
  api::MeterView m;
  m.meterId = id;
  m.serial = "E-2024-" + std::to_string(id);
  m.medium = "electricity";
  m.personal = true;
  m.balanceFen = balanceFen;
  m.status = api::MeterStatusCode::Normal;
  m.hoardingCapFen = 500000;
  m.lastReadingAt = "2024-05-20T08:30:00+08:00";
  m.todayEnergyCentiKwh = 1234;
  m.daysLeftState = api::DaysLeftState::Known;
  m.daysLeft = 12;
  return m;
}

class BenchApi final : public ApiClient {
 public:
  BenchApi() {
    m_account.accountId = 7;
    m_account.shopNumber = "101";
    m_account.tenantName = "张*";
    m_account.personal = true;
    m_account.tenantToken = "bench-token";
    m_account.meters = {meter(11, 35020), meter(12, 8800)};
  }
  void configure(const ClientConfig& config) override { m_config = config; }
  ClientConfig config() const override { return m_config; }
  std::expected<HealthResult, ClientError> health() override {
    return HealthResult{api::Health{"ok", "bench", "v1", 1, ""}, std::chrono::milliseconds(1)};
  }
  std::expected<api::AccountView, ClientError> identify(const IdentifyRequest&) override {
    return m_account;
  }
  std::expected<api::AccountView, ClientError> account(std::int64_t, const std::string&) override {
    return m_account;
  }
  std::expected<api::UsageSeries, ClientError> usage(std::int64_t, std::int64_t meterId,
                                                     Granularity granularity,
                                                     const std::string&) override {
    return series(meterId, granularity);
  }
  std::expected<std::vector<api::AlarmView>, ClientError> alarms(std::int64_t,
                                                                 const std::string&) override {
    return std::vector<api::AlarmView>{};
  }
  std::expected<std::vector<api::RechargeView>, ClientError> recharges(
      std::int64_t, const std::string&) override {
    return std::vector<api::RechargeView>{};
  }
  std::expected<api::Receipt, ClientError> receipt(std::int64_t, std::int64_t,
                                                   const std::string&) override {
    return std::unexpected(unsupported());
  }
  std::expected<Order, ClientError> createOrder(const CreateOrderRequest&) override {
    return std::unexpected(unsupported());
  }
  std::expected<Order, ClientError> order(const std::string&) override {
    return std::unexpected(unsupported());
  }
  std::expected<Order, ClientError> cancelOrder(const std::string&) override {
    return std::unexpected(unsupported());
  }
  std::expected<Order, ClientError> submitPaymentCode(const std::string&,
                                                      const std::string&) override {
    return std::unexpected(unsupported());
  }
  std::expected<void, ClientError> markReceipted(const std::string&) override {
    return std::unexpected(unsupported());
  }
  std::expected<StaffSession, ClientError> staffLogin(const std::string&,
                                                      const std::string&) override {
    return std::unexpected(unsupported());
  }
  std::expected<void, ClientError> audit(const std::string&, const std::string&,
                                         const std::string&) override {
    return std::unexpected(unsupported());
  }

 private:
  static ClientError unsupported() {
    return ClientError{ClientErrorKind::Protocol, std::nullopt, 0, "not used by the benchmark"};
  }
  ClientConfig m_config;
  api::AccountView m_account;
};

// ---- Xvfb when there is no display -----------------------------------------------------------

bool onPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

class OwnXvfb {
 public:
  OwnXvfb() = default;
  OwnXvfb(const OwnXvfb&) = delete;
  OwnXvfb& operator=(const OwnXvfb&) = delete;
  ~OwnXvfb() { stop(); }

  /// Starts Xvfb on a free display (it picks the number and writes it to a pipe); the display
  /// name, or an error.
  std::expected<std::string, std::string> start(int width, int height) {
    int fds[2];
    if (::pipe(fds) != 0) {
      return std::unexpected(std::string("pipe: ") + std::strerror(errno));
    }
    const std::string fdText = std::to_string(fds[1]);
    const std::string screen = std::to_string(width) + "x" + std::to_string(height) + "x24";
    std::vector<std::string> args{"Xvfb", "-displayfd", fdText,      "-screen",
                                  "0",    screen,       "-nolisten", "tcp"};
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&m_pid, "Xvfb", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      m_pid = -1;
      return std::unexpected(std::string("cannot start Xvfb: ") + std::strerror(rc));
    }
    // Xvfb writes "<number>\n" once it accepts connections: poll with a deadline.
    std::string number;
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (number.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd pfd{fds[0], POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(1, left.count()))) <= 0) {
        continue;
      }
      char chunk[16];
      const auto n = ::read(fds[0], chunk, sizeof(chunk));
      if (n <= 0) {
        break;
      }
      number.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    while (!number.empty() && (number.back() == '\n' || number.back() == ' ')) {
      number.pop_back();
    }
    if (number.empty()) {
      stop();
      return std::unexpected(std::string("Xvfb did not report a display within 15 s"));
    }
    return ":" + number;
  }

  void stop() {
    if (m_pid <= 0) {
      return;
    }
    ::kill(m_pid, SIGTERM);
    int status = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (::waitpid(m_pid, &status, WNOHANG) == 0) {
      if (Clock::now() >= deadline) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &status, 0);
        break;
      }
      ::usleep(10'000);  // polling the child's exit, not waiting for readiness
    }
    m_pid = -1;
  }

 private:
  pid_t m_pid = -1;
};

// ---- statistics -------------------------------------------------------------------------------

struct Summary {
  double p50 = 0;
  double p99 = 0;
  double max = 0;
  double mean = 0;
};

Summary summarize(std::vector<double> values) {
  Summary s;
  if (values.empty()) {
    return s;
  }
  std::sort(values.begin(), values.end());
  auto at = [&](double p) {
    const auto k =
        static_cast<std::size_t>(std::lround(p / 100.0 * static_cast<double>(values.size() - 1)));
    return values[std::min(k, values.size() - 1)];
  };
  s.p50 = at(50);
  s.p99 = at(99);
  s.max = values.back();
  double sum = 0;
  for (double v : values) {
    sum += v;
  }
  s.mean = sum / static_cast<double>(values.size());
  return s;
}

struct SizeResult {
  std::string size;
  std::map<std::string, Summary> phases;  // build, gl, swap, total, empty_gl, empty_swap, empty
  double firstFrameMs = 0;                // first chart frame incl. the font atlas build
  std::size_t atlasKpx = 0;
  std::size_t glyphs = 0;
  int rebuildsTimed = 0;  // atlas rebuilds during the timed frames (must be 0)
  std::uint64_t vertices = 0;
  std::uint64_t indices = 0;
  std::uint64_t drawCommands = 0;
  double coveredMpx = 0;  // per frame, overdraw counted
  double windowMpx = 0;
  double newPerFrame = 0;
  double imguiAllocsPerFrame = 0;
  std::string renderer;
  int swapInterval = 0;
};

// ---- one window size --------------------------------------------------------------------------

std::expected<SizeResult, std::string> runSize(const BenchOptions& options,
                                               const ui::Catalog& catalog, int width, int height) {
  SizeResult result;
  result.size = std::to_string(width) + "x" + std::to_string(height);
  result.windowMpx = static_cast<double>(width) * static_cast<double>(height) / 1e6;
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  SDL_Window* window =
      SDL_CreateWindow("bench-kiosk-frame", 0, 0, width, height, SDL_WINDOW_OPENGL);
  if (window == nullptr) {
    return std::unexpected(std::string("cannot open a window: ") + SDL_GetError());
  }
  SDL_GLContext gl = SDL_GL_CreateContext(window);
  if (gl == nullptr) {
    SDL_DestroyWindow(window);
    return std::unexpected(std::string("cannot create an OpenGL 3 context: ") + SDL_GetError());
  }
  SDL_GL_MakeCurrent(window, gl);
  SDL_GL_SetSwapInterval(options.vsync ? 1 : 0);
  result.swapInterval = SDL_GL_GetSwapInterval();
  if (const auto* renderer = glGetString(GL_RENDERER)) {
    result.renderer = reinterpret_cast<const char*>(renderer);
  }

  ImGui::SetAllocatorFunctions(
      [](std::size_t size, void*) -> void* {
        if (g_counting.load(std::memory_order_relaxed)) {
          g_imguiAllocs.fetch_add(1, std::memory_order_relaxed);
        }
        return std::malloc(size);
      },
      [](void* p, void*) { std::free(p); });
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.LogFilename = nullptr;
  ImGui::StyleColorsLight();
  ImGui::GetStyle().AntiAliasedLinesUseTex = options.baseline;
  ImGui_ImplSDL2_InitForOpenGL(window, gl);
  ImGui_ImplOpenGL3_Init("#version 130");

  BenchApi backend;
  ManualRunner runner;
  KioskSettings settings;
  settings.language = options.language == "en" ? Language::En : Language::ZhCn;
  KioskSession session(backend, runner, nullptr, settings);
  ui::FontSet fonts(options.fontPath);
  fonts.requireAll(catalog.allTexts());
  fonts.require(session.settings().siteName);
  screens::ScreenRouter router;
  const ImVec4 page = ImGui::ColorConvertU32ToFloat4(ui::colour::Background);
  ui::setSolidFill(options.solidFill && !options.baseline ? &ui::glSolidFill : nullptr);

  // Identify shop 101 and open its usage chart, as a tenant would.
  session.startIdentify();
  for (char c : std::string("101")) {
    session.identify().key(c);
  }
  session.identify().submit();
  runner.settle();
  session.navigate(Screen::Usage);
  runner.settle();
  if (session.screen() != Screen::Usage || session.usage().chart().bars.empty()) {
    return std::unexpected(std::string("the usage screen did not load its chart"));
  }

  struct View {
    Granularity granularity;
    UsageMetric metric;
  };
  const std::array<View, 6> views = {
      View{Granularity::Hour, UsageMetric::Energy},  View{Granularity::Day, UsageMetric::Energy},
      View{Granularity::Month, UsageMetric::Energy}, View{Granularity::Hour, UsageMetric::Money},
      View{Granularity::Day, UsageMetric::Money},    View{Granularity::Month, UsageMetric::Money}};

  std::vector<double> build;
  std::vector<double> glTimes;
  std::vector<double> swap;
  std::vector<double> total;
  std::vector<double> cpu;
  int rebuilds = 0;
  std::uint64_t newCalls = 0;
  std::uint64_t imguiAllocs = 0;
  const int frames = options.warmup + options.frames;
  for (int i = 0; i < frames; ++i) {
    bool timed = i >= options.warmup;
    // Outside the timed part, as the kiosk does at the start of a frame: a new view (tab tap),
    // view-model results applied, input keeps the idle timer from returning to attract.
    const auto& view = views[static_cast<std::size_t>(i) % views.size()];
    session.usage().setGranularity(view.granularity);
    session.usage().setMetric(view.metric);
    runner.settle();
    const auto now = Clock::now();
    session.onInput(now);
    session.tick(now);
    runner.settle();

    const auto t0 = Clock::now();
    bool presented = false;
    for (int attempt = 0; attempt < 3 && !presented; ++attempt) {
      if (fonts.dirty()) {
        if (auto built = fonts.build(1.0F); !built) {
          std::fprintf(stderr, "bench-kiosk-frame: %s\n", built.error().c_str());
        }
        ImGui_ImplOpenGL3_DestroyFontsTexture();
        ImGui_ImplOpenGL3_CreateFontsTexture();
        if (!options.baseline) {  // as prepaid-kiosk does
          glBindTexture(GL_TEXTURE_2D,
                        static_cast<GLuint>(reinterpret_cast<std::uintptr_t>(io.Fonts->TexID)));
          glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
          glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        }
        io.Fonts->ClearTexData();
        if (timed) {
          ++rebuilds;
        }
      }
      const auto b0 = Clock::now();
      const double cpu0 = processCpuMs();
      const auto new0 = g_newCalls.load();
      const auto imgui0 = g_imguiAllocs.load();
      g_counting = true;
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplSDL2_NewFrame();
      ImGui::NewFrame();
      const auto layout = ui::makeLayout(io.DisplaySize.x, io.DisplaySize.y);
      ui::Painter painter(fonts, catalog, layout, session.language());
      screens::Frame frame{session,
                           painter,
                           now,
                           "08:30",
                           "2024-05-20",
                           ImVec2(0, 0),
                           ImVec2(io.DisplaySize.x, io.DisplaySize.y)};
      router.drawWindow(frame);
      if (options.baseline) {
        ImGui::GetBackgroundDrawList()->AddRectFilled(ImVec2(0, 0), io.DisplaySize,
                                                      ui::colour::Background);
      }
      ImGui::Render();
      g_counting = false;
      const auto b1 = Clock::now();
      if (fonts.dirty()) {
        continue;  // new glyphs: rebuild and redraw before anything is shown, as the kiosk does
      }
      glViewport(0, 0, static_cast<int>(io.DisplaySize.x), static_cast<int>(io.DisplaySize.y));
      glClearColor(page.x, page.y, page.z, 1.0F);
      glClear(GL_COLOR_BUFFER_BIT);
      const ImDrawData* data = ImGui::GetDrawData();
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      if (options.finish) {
        glFinish();
      }
      const auto g1 = Clock::now();
      if (i == frames - 1 && !options.screenshotPrefix.empty()) {
        const std::string path = options.screenshotPrefix + "-" + result.size + ".ppm";
        if (!writePpm(path, width, height)) {
          return std::unexpected("cannot write " + path);
        }
        timed = false;  // the read-back is not part of a frame
      }
      SDL_GL_SwapWindow(window);
      const auto s1 = Clock::now();
      const double cpu1 = processCpuMs();
      presented = true;
      if (timed) {
        build.push_back(msSince(b0, b1));
        glTimes.push_back(msSince(b1, g1));
        swap.push_back(msSince(g1, s1));
        total.push_back(msSince(b0, s1));
        cpu.push_back(cpu1 - cpu0);
        result.coveredMpx = std::max(result.coveredMpx, coveredPixels(*data) / 1e6);
        newCalls += g_newCalls.load() - new0;
        imguiAllocs += g_imguiAllocs.load() - imgui0;
        result.vertices = std::max<std::uint64_t>(result.vertices,
                                                  static_cast<std::uint64_t>(data->TotalVtxCount));
        result.indices = std::max<std::uint64_t>(result.indices,
                                                 static_cast<std::uint64_t>(data->TotalIdxCount));
        std::uint64_t commands = 0;
        for (int l = 0; l < data->CmdListsCount; ++l) {
          commands += static_cast<std::uint64_t>(data->CmdLists[l]->CmdBuffer.Size);
        }
        result.drawCommands = std::max(result.drawCommands, commands);
      }
    }
    if (i == 0) {
      result.firstFrameMs = msSince(t0, Clock::now());
    }
    if (!presented) {
      return std::unexpected(std::string("a frame was never presented (atlas kept growing)"));
    }
    // Pump the window system's events so the X connection does not back up.
    SDL_Event event;
    while (SDL_PollEvent(&event) != 0) {
    }
  }
  result.rebuildsTimed = rebuilds;
  result.atlasKpx = fonts.atlasPixels() / 1000;
  result.glyphs = fonts.glyphCount();
  result.phases["build"] = summarize(build);
  result.phases["gl"] = summarize(glTimes);
  result.phases["swap"] = summarize(swap);
  result.phases["total"] = summarize(total);
  result.phases["cpu"] = summarize(cpu);
  result.newPerFrame =
      static_cast<double>(newCalls) / static_cast<double>(std::max<std::size_t>(1, build.size()));
  result.imguiAllocsPerFrame = static_cast<double>(imguiAllocs) /
                               static_cast<double>(std::max<std::size_t>(1, build.size()));

  if (options.emptyRun) {
    // The floor: clear the whole window and present it, nothing drawn.
    std::vector<double> emptyGl;
    std::vector<double> emptySwap;
    std::vector<double> emptyTotal;
    std::vector<double> emptyCpu;
    for (int i = 0; i < frames; ++i) {
      const auto e0 = Clock::now();
      const double cpu0 = processCpuMs();
      glViewport(0, 0, width, height);
      glClearColor(page.x, page.y, page.z, 1.0F);
      glClear(GL_COLOR_BUFFER_BIT);
      if (options.finish) {
        glFinish();
      }
      const auto e1 = Clock::now();
      SDL_GL_SwapWindow(window);
      const auto e2 = Clock::now();
      const double cpu1 = processCpuMs();
      if (i >= options.warmup) {
        emptyCpu.push_back(cpu1 - cpu0);
        emptyGl.push_back(msSince(e0, e1));
        emptySwap.push_back(msSince(e1, e2));
        emptyTotal.push_back(msSince(e0, e2));
      }
      SDL_Event event;
      while (SDL_PollEvent(&event) != 0) {
      }
    }
    result.phases["empty_gl"] = summarize(emptyGl);
    result.phases["empty_swap"] = summarize(emptySwap);
    result.phases["empty"] = summarize(emptyTotal);
    result.phases["empty_cpu"] = summarize(emptyCpu);
  }

  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplSDL2_Shutdown();
  ImGui::DestroyContext();
  SDL_GL_DeleteContext(gl);
  SDL_DestroyWindow(window);
  return result;
}

void print(const SizeResult& r, const BenchOptions& options) {
  std::printf(
      "\n== %s%s  (%d frames, renderer: %s, swap interval %d, glFinish %s, solid fill %s)\n",
      r.size.c_str(), options.baseline ? " BASELINE (before issue 8)" : "", options.frames,
      r.renderer.c_str(), r.swapInterval, options.finish ? "on" : "off",
      options.solidFill && !options.baseline ? "on" : "off");
  std::printf("%-26s %9s %9s %9s %9s\n", "phase (ms)", "p50", "p99", "max", "mean");
  const std::pair<const char*, const char*> rows[] = {
      {"build", "build (ours: NewFrame..Render)"}, {"gl", "gl (clear+RenderDrawData)"},
      {"swap", "swap (SDL_GL_SwapWindow)"},        {"total", "total"},
      {"cpu", "total, CPU time (all threads)"},    {"empty_gl", "empty frame: clear"},
      {"empty_swap", "empty frame: swap"},         {"empty", "empty frame: total"},
      {"empty_cpu", "empty frame: CPU time"}};
  for (const auto& [key, label] : rows) {
    const auto it = r.phases.find(key);
    if (it == r.phases.end()) {
      continue;
    }
    std::printf("%-30s %9.2f %9.2f %9.2f %9.2f\n", label, it->second.p50, it->second.p99,
                it->second.max, it->second.mean);
  }
  std::printf(
      "first chart frame (incl. font atlas build): %.1f ms; atlas %zu kpx, %zu glyphs; "
      "atlas rebuilds while timed: %d\n",
      r.firstFrameMs, r.atlasKpx, r.glyphs, r.rebuildsTimed);
  std::printf(
      "draw data (max/frame): %llu vertices, %llu indices, %llu draw commands, %.2f Mpx covered "
      "(window %.2f Mpx); heap allocations per frame: %.1f operator new, %.1f ImGui\n",
      static_cast<unsigned long long>(r.vertices), static_cast<unsigned long long>(r.indices),
      static_cast<unsigned long long>(r.drawCommands), r.coveredMpx, r.windowMpx, r.newPerFrame,
      r.imguiAllocsPerFrame);
  const auto& build = r.phases.at("build");
  const auto& total = r.phases.at("total");
  std::printf("ours (build) p99 %.2f ms = %.0f %% of the %.1f ms budget: %s\n", build.p99,
              100.0 * build.p99 / FrameBudgetMs, FrameBudgetMs,
              build.p99 < FrameBudgetMs ? "within" : "OVER");
  if (const auto it = r.phases.find("empty"); it != r.phases.end()) {
    std::printf(
        "GL stack floor (empty frame) p50 %.2f / p99 %.2f ms; chart frame total p99 %.2f "
        "ms = %.1fx the empty frame's p99; GL+swap share of the chart frame p50: %.0f %%\n",
        it->second.p50, it->second.p99, total.p99,
        it->second.p99 > 0 ? total.p99 / it->second.p99 : 0.0,
        total.p50 > 0 ? 100.0 * (total.p50 - build.p50) / total.p50 : 0.0);
  }
}

std::string json(const std::vector<SizeResult>& results, const BenchOptions& options) {
  std::ostringstream out;
  out << "{\"baseline\": " << (options.baseline ? "true" : "false")
      << ", \"frames\": " << options.frames << ", \"vsync\": " << (options.vsync ? "true" : "false")
      << ", \"finish\": " << (options.finish ? "true" : "false") << ", \"sizes\": [";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    out << (i > 0 ? ", " : "") << "{\"size\": \"" << r.size << "\", \"renderer\": \"" << r.renderer
        << "\", \"first_frame_ms\": " << r.firstFrameMs << ", \"atlas_kpx\": " << r.atlasKpx
        << ", \"glyphs\": " << r.glyphs << ", \"atlas_rebuilds_timed\": " << r.rebuildsTimed
        << ", \"vertices\": " << r.vertices << ", \"covered_mpx\": " << r.coveredMpx
        << ", \"new_per_frame\": " << r.newPerFrame
        << ", \"imgui_allocs_per_frame\": " << r.imguiAllocsPerFrame;
    for (const auto& [phase, s] : r.phases) {
      out << ", \"" << phase << "\": {\"p50\": " << s.p50 << ", \"p99\": " << s.p99
          << ", \"max\": " << s.max << ", \"mean\": " << s.mean << "}";
    }
    out << "}";
  }
  out << "]}\n";
  return out.str();
}

std::optional<std::pair<int, int>> parseSize(const std::string& text) {
  int w = 0;
  int h = 0;
  char x = 0;
  std::istringstream in(text);
  if (!(in >> w >> x >> h) || x != 'x' || w < 64 || h < 64 || w > 8192 || h > 8192) {
    return std::nullopt;
  }
  return std::make_pair(w, h);
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions options;
  CLI::App app{
      "bench-kiosk-frame: frame time of the kiosk's chart screen, split into our CPU "
      "time, GL rendering and the swap, against an empty frame at the same size"};
  app.set_version_flag("--version", std::string(prepaid::Version));
  app.add_option("--frames", options.frames, "timed frames per size")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", options.warmup, "untimed frames first (atlas build, caches)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--sizes", options.sizes, "window sizes WxH")->delimiter(',');
  std::string vsync = "on";
  std::string finish = "on";
  app.add_option("--vsync", vsync, "SDL_GL_SetSwapInterval(1) as the kiosk does (on|off)")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--finish", finish,
                 "glFinish after RenderDrawData, so the rasteriser's time is counted in gl, not "
                 "in swap (on|off)")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_flag("!--no-empty", options.emptyRun, "skip the empty-frame floor");
  app.add_option("--font", options.fontPath, "font file");
  app.add_option("--assets", options.assetsDir, "assets directory (holds i18n/)");
  app.add_option("--lang", options.language, "zh-CN|en")->check(CLI::IsMember({"zh-CN", "en"}));
  app.add_option("--json", options.jsonPath, "also write the figures as JSON here");
  std::string solidFill = "on";
  app.add_option("--solid-fill", solidFill,
                 "large opaque panels as scissored glClear, as prepaid-kiosk does (on|off)")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--screenshot", options.screenshotPrefix,
                 "write the last chart frame of each size to <prefix>-WxH.ppm (not timed)");
  app.add_flag("--baseline", options.baseline,
               "draw as prepaid-kiosk did before issue 8 (GL_LINEAR font texture, texture-baked "
               "lines, full-screen window background) for comparison");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  options.vsync = vsync == "on";
  options.finish = finish == "on";
  options.solidFill = solidFill == "on";
  std::vector<std::pair<int, int>> sizes;
  for (const auto& text : options.sizes) {
    auto size = parseSize(text);
    if (!size) {
      std::fprintf(stderr, "bench-kiosk-frame: bad size '%s' (want WxH, 64..8192)\n", text.c_str());
      return 2;
    }
    sizes.push_back(*size);
  }

  auto catalog = ui::Catalog::load(std::filesystem::path(options.assetsDir) / "i18n");
  if (!catalog) {
    std::fprintf(stderr, "bench-kiosk-frame: %s\n", catalog.error().c_str());
    return 1;
  }

  OwnXvfb xvfb;
  const char* display = std::getenv("DISPLAY");
  if (display == nullptr || *display == '\0') {
    if (!onPath("Xvfb")) {
      std::printf("SKIP: no DISPLAY and no Xvfb on PATH; nothing to draw on\n");
      return SkipExitCode;
    }
    int maxW = 64;
    int maxH = 64;
    for (const auto& [w, h] : sizes) {
      maxW = std::max(maxW, w);
      maxH = std::max(maxH, h);
    }
    auto started = xvfb.start(maxW, maxH);
    if (!started) {
      std::fprintf(stderr, "bench-kiosk-frame: %s\n", started.error().c_str());
      return 1;
    }
    ::setenv("DISPLAY", started->c_str(), 1);
    std::printf("started Xvfb on %s\n", started->c_str());
  } else {
    std::printf("using DISPLAY=%s\n", display);
  }
  const char* lpThreads = std::getenv("LP_NUM_THREADS");
  std::printf("LP_NUM_THREADS=%s, LIBGL_ALWAYS_SOFTWARE=%s, %ld CPUs online\n",
              lpThreads != nullptr ? lpThreads : "(unset: llvmpipe uses one per CPU)",
              std::getenv("LIBGL_ALWAYS_SOFTWARE") != nullptr ? std::getenv("LIBGL_ALWAYS_SOFTWARE")
                                                              : "(unset)",
              ::sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("load average at start: %s\n", loadAverage().c_str());

  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    std::fprintf(stderr, "bench-kiosk-frame: SDL_Init failed: %s\n", SDL_GetError());
    return 1;
  }
  std::vector<SizeResult> results;
  int status = 0;
  for (const auto& [w, h] : sizes) {
    auto result = runSize(options, *catalog, w, h);
    if (!result) {
      std::fprintf(stderr, "bench-kiosk-frame: %dx%d: %s\n", w, h, result.error().c_str());
      status = 1;
      break;
    }
    print(*result, options);
    if (result->rebuildsTimed > 0) {
      std::fprintf(stderr,
                   "bench-kiosk-frame: the font atlas was rebuilt %d times during the timed "
                   "frames: it must be built once, not per frame\n",
                   result->rebuildsTimed);
      status = 1;
    }
    if (result->vertices == 0) {
      std::fprintf(stderr, "bench-kiosk-frame: the chart frames drew nothing\n");
      status = 1;
    }
    results.push_back(std::move(*result));
  }
  SDL_Quit();
  std::printf("\nload average at end: %s\n", loadAverage().c_str());
  if (!options.jsonPath.empty()) {
    std::ofstream out(options.jsonPath);
    out << json(results, options);
  }
  return status;
}
