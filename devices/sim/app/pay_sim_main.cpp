// prepaid-pay-sim: a loopback stand-in for the WeChat Pay API v3 and Alipay servers, speaking
// their signed protocols, with a control API to pay orders and inject faults.
// Flags, key directory, control API: devices/sim/README.md ("Payment simulator").

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "prepaid/sim/pay_sim_server.hpp"
#include "prepaid/version.hpp"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void onSignal(int /*signal*/) {
  g_stop = true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace prepaid::devices::sim;
  CLI::App app{
      "prepaid-pay-sim: WeChat Pay API v3 and Alipay provider simulator on loopback (real "
      "signatures, encrypted notifications, fault modes)"};
  app.set_version_flag("--version", std::string("prepaid-pay-sim ") + prepaid::Version);
  std::string host = "127.0.0.1";
  int port = 8600;
  std::string keysDir = "pay-sim-keys";
  std::string notifyBase = "http://127.0.0.1:8080/api/v1/payments/notify";
  std::string notifyMode = "normal";
  std::int64_t userPayingS = 0;
  app.add_option("--host", host, "address to bind (loopback unless you mean it)");
  app.add_option("--port", port, "port (0: any free port, printed)")->check(CLI::Range(0, 65535));
  app.add_option("--keys-dir", keysDir,
                 "key directory: generated at first start; providers.json for the backend");
  app.add_option("--notify-base", notifyBase,
                 "the backend's notification base URL (+/wechat, +/alipay)");
  app.add_option("--notify", notifyMode, "notification fault: normal|duplicate|late|lost")
      ->check(CLI::IsMember({"normal", "duplicate", "late", "lost"}));
  app.add_option("--userpaying-s", userPayingS,
                 "code pay: USERPAYING for N s before paid (-1: never confirms)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      return app.exit(error);
    }
    std::cerr << "prepaid-pay-sim: " << error.what() << " (see --help)\n";
    return 2;
  }

  auto keys = loadOrCreatePaySimKeys(keysDir);
  if (!keys) {
    std::cerr << "prepaid-pay-sim: " << keys.error() << "\n";
    return 1;
  }
  PaySimServer server(*keys);
  PaySimFaults faults;
  faults.notify = notifyMode == "duplicate" ? NotifyMode::Duplicate
                  : notifyMode == "late"    ? NotifyMode::Late
                  : notifyMode == "lost"    ? NotifyMode::Lost
                                            : NotifyMode::Normal;
  faults.userPayingS = userPayingS;
  server.setFaults(faults);
  auto bound = server.start(host, port);
  if (!bound) {
    std::cerr << "prepaid-pay-sim: " << bound.error() << "\n";
    return 1;
  }
  if (auto written = writeProviderSettings(keysDir, *keys, server.baseUrl(), notifyBase);
      !written) {
    std::cerr << "prepaid-pay-sim: " << written.error() << "\n";
    return 1;
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  std::cout << "prepaid-pay-sim listening on " << server.baseUrl() << "\n"
            << "provider settings: " << keysDir << "/providers.json\n"
            << "ready" << std::endl;
  while (!g_stop) {
    // The signal handler only sets a flag; stopping the server happens here.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server.stop();
  return 0;
}
