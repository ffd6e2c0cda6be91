#pragma once

// Concrete devices of the kiosk: the receipt printer from its URI (re-opened on demand after a
// failure, so unplugging and replugging needs no restart) and the scanner thread.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "prepaid/printer/escpos_printer.hpp"
#include "prepaid/scanner/code_scanner.hpp"

namespace prepaid::kiosk::app {

/// nullptr for "none" or an empty URI; a VirtualPrinter for virtual:<dir>; otherwise an ESC/POS
/// printer that opens its transport when first used and again after an I/O error.
[[nodiscard]] std::unique_ptr<devices::ReceiptPrinter> makePrinter(const std::string& uri,
                                                                   const std::string& encoding,
                                                                   std::size_t columns,
                                                                   const std::string& fontPath,
                                                                   std::string& error);

/// Reads codes on its own thread and hands them to `onCode` (called on that thread; post them to
/// the UI). Re-opens the device every 5 s while it is missing.
class ScannerThread {
 public:
  ScannerThread(std::string uri, std::function<void(std::string)> onCode,
                std::function<void(std::string)> onError);
  ~ScannerThread();
  ScannerThread(const ScannerThread&) = delete;
  ScannerThread& operator=(const ScannerThread&) = delete;

 private:
  void loop();
  std::string m_uri;
  std::function<void(std::string)> m_onCode;
  std::function<void(std::string)> m_onError;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace prepaid::kiosk::app
