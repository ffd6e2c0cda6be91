// prepaid-kiosk: parse the command line before anything touches the display, then run the shell.

#include <chrono>
#include <variant>

#include "kiosk_app.hpp"

#include "prepaid/kioskapp/kiosk_options.hpp"

int main(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  auto parsed = prepaid::kiosk::app::parseOptions(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  return prepaid::kiosk::app::runKiosk(std::get<prepaid::kiosk::app::AppOptions>(parsed), started);
}
