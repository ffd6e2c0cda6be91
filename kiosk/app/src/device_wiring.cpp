#include "device_wiring.hpp"

#include "prepaid/printer/virtual_printer.hpp"

namespace prepaid::kiosk::app {

namespace {

class ReopeningEscPosPrinter final : public devices::ReceiptPrinter {
 public:
  ReopeningEscPosPrinter(std::string uri, devices::EscPosOptions options)
      : m_uri(std::move(uri)), m_options(options) {}

  std::expected<void, devices::PrinterError> print(const devices::ReceiptDocument& doc) override {
    std::lock_guard lock(m_mutex);
    auto printer = open();
    if (!printer) {
      return std::unexpected(printer.error());
    }
    auto result = (*printer)->print(doc);
    if (!result) {
      m_printer.reset();  // re-open next time (cable pulled, printer power-cycled)
    }
    return result;
  }
  std::expected<devices::PaperStatus, devices::PrinterError> paperStatus() override {
    std::lock_guard lock(m_mutex);
    auto printer = open();
    if (!printer) {
      return std::unexpected(printer.error());
    }
    auto result = (*printer)->paperStatus();
    if (!result) {
      m_printer.reset();  // the query could not even be sent: re-open next time
    }
    return result;
  }
  std::string describe() const override { return "ESC/POS " + m_uri; }
  std::size_t columns() const override { return m_options.columns; }

 private:
  std::expected<devices::EscPosPrinter*, devices::PrinterError> open() {
    if (!m_printer) {
      auto transport = devices::openPrinterTransport(m_uri);
      if (!transport) {
        return std::unexpected(transport.error());
      }
      m_printer = std::make_unique<devices::EscPosPrinter>(std::move(*transport), m_options);
    }
    return m_printer.get();
  }
  std::mutex m_mutex;
  std::string m_uri;
  devices::EscPosOptions m_options;
  std::unique_ptr<devices::EscPosPrinter> m_printer;
};

}  // namespace

std::unique_ptr<devices::ReceiptPrinter> makePrinter(const std::string& uri,
                                                     const std::string& encoding,
                                                     std::size_t columns,
                                                     const std::string& fontPath,
                                                     std::string& error) {
  if (uri.empty() || uri == "none") {
    return nullptr;
  }
  if (uri.starts_with("virtual:")) {
    return std::make_unique<devices::VirtualPrinter>(uri.substr(8), fontPath,
                                                     columns == 32 ? 48 : columns);
  }
  devices::EscPosOptions options;
  auto parsed = devices::parseTextEncoding(encoding);
  if (!parsed) {
    error = "unknown printer encoding '" + encoding + "' (gb18030, gbk, ascii)";
    return nullptr;
  }
  options.encoding = *parsed;
  options.columns = columns;
  return std::make_unique<ReopeningEscPosPrinter>(uri, options);
}

ScannerThread::ScannerThread(std::string uri, std::function<void(std::string)> onCode,
                             std::function<void(std::string)> onError)
    : m_uri(std::move(uri)), m_onCode(std::move(onCode)), m_onError(std::move(onError)) {
  m_thread = std::thread([this] { loop(); });
}

ScannerThread::~ScannerThread() {
  m_stop = true;
  m_thread.join();
}

void ScannerThread::loop() {
  std::unique_ptr<devices::CodeScanner> scanner;
  auto nextOpen = std::chrono::steady_clock::now();
  while (!m_stop) {
    if (!scanner) {
      if (std::chrono::steady_clock::now() < nextOpen) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // stop flag check cadence
        continue;
      }
      auto opened = devices::openCodeScanner(m_uri);
      if (!opened) {
        m_onError(opened.error().message);
        nextOpen = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        continue;
      }
      scanner = std::move(*opened);
    }
    auto code = scanner->next(std::chrono::milliseconds(500));
    if (!code) {
      m_onError(code.error().message);
      scanner.reset();
      nextOpen = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      continue;
    }
    if (*code) {
      m_onCode(std::move(**code));
    }
  }
}

}  // namespace prepaid::kiosk::app
