#pragma once

// The receipt printer as the kiosk sees it. Implementations: EscPosPrinter (a real printer on a
// transport) and VirtualPrinter (text + PNG files for the demo and tests).

#include <expected>
#include <string>

#include "prepaid/printer/escpos_encoder.hpp"
#include "prepaid/printer/printer_error.hpp"
#include "prepaid/printer/receipt_document.hpp"

namespace prepaid::devices {

class ReceiptPrinter {
 public:
  virtual ~ReceiptPrinter() = default;
  /// Prints one document and cuts. Blocking (I/O): call from a worker thread. Thread-safe.
  [[nodiscard]] virtual std::expected<void, PrinterError> print(const ReceiptDocument& doc) = 0;
  /// Paper status (DLE EOT 4). Unknown when the printer cannot tell (no answer within 1 s, a
  /// transport that cannot read back); an error only when the printer cannot be reached at all.
  /// Only Out means "out of paper". Blocking, bounded by the transport timeout. Thread-safe.
  [[nodiscard]] virtual std::expected<PaperStatus, PrinterError> paperStatus() = 0;
  /// Where it prints (URI or directory), for the maintenance screen.
  [[nodiscard]] virtual std::string describe() const = 0;
  /// Paper width in printer columns of normal-size ASCII (32 for 58 mm, 48 for 80 mm).
  [[nodiscard]] virtual std::size_t columns() const = 0;
};

}  // namespace prepaid::devices
