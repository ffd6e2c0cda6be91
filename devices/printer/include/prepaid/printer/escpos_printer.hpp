#pragma once

#include <memory>
#include <mutex>

#include "prepaid/printer/printer_transport.hpp"
#include "prepaid/printer/receipt_printer.hpp"

namespace prepaid::devices {

struct EscPosOptions {
  TextEncoding encoding = TextEncoding::Gb18030;
  std::size_t columns = 32;
  std::uint8_t qrModuleDots = 6;
};

/// A real ESC/POS printer on a transport.
class EscPosPrinter final : public ReceiptPrinter {
 public:
  EscPosPrinter(std::unique_ptr<PrinterTransport> transport, EscPosOptions options);

  /// The exact bytes print() sends for `doc` (init ... cut); used by golden-byte tests.
  [[nodiscard]] static std::expected<std::vector<std::uint8_t>, PrinterError> encode(
      const ReceiptDocument& doc, const EscPosOptions& options);

  [[nodiscard]] std::expected<void, PrinterError> print(const ReceiptDocument& doc) override;
  [[nodiscard]] std::expected<PaperStatus, PrinterError> paperStatus() override;
  [[nodiscard]] std::string describe() const override;
  [[nodiscard]] std::size_t columns() const override { return m_options.columns; }

 private:
  std::mutex m_mutex;  // one job at a time on the wire
  std::unique_ptr<PrinterTransport> m_transport;
  EscPosOptions m_options;
};

}  // namespace prepaid::devices
