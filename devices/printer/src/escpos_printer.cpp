#include "prepaid/printer/escpos_printer.hpp"

namespace prepaid::devices {

EscPosPrinter::EscPosPrinter(std::unique_ptr<PrinterTransport> transport, EscPosOptions options)
    : m_transport(std::move(transport)), m_options(options) {}

std::expected<std::vector<std::uint8_t>, PrinterError> EscPosPrinter::encode(
    const ReceiptDocument& doc, const EscPosOptions& options) {
  EscPosEncoder out(options.encoding);
  out.init();
  for (const auto& line : doc.lines) {
    out.align(line.align);
    switch (line.kind) {
      case ReceiptLine::Kind::Text: {
        out.emphasis(line.emphasis).size(line.size);
        if (auto ok = out.line(line.text); !ok) {
          return std::unexpected(ok.error());
        }
        // Back to normal so a styled line never leaks into the next one.
        if (line.emphasis != Emphasis::Normal) {
          out.emphasis(Emphasis::Normal);
        }
        if (line.size != CharSize::Normal) {
          out.size(CharSize::Normal);
        }
        break;
      }
      case ReceiptLine::Kind::Rule:
        if (auto ok = out.line(line.text); !ok) {
          return std::unexpected(ok.error());
        }
        break;
      case ReceiptLine::Kind::Blank:
        out.feed(1);
        break;
      case ReceiptLine::Kind::Qr:
        if (auto ok = out.qr(line.text, options.qrModuleDots); !ok) {
          return std::unexpected(ok.error());
        }
        out.feed(1);
        break;
    }
  }
  out.align(Align::Left).cut(3);
  return out.bytes();
}

std::expected<void, PrinterError> EscPosPrinter::print(const ReceiptDocument& doc) {
  auto bytes = encode(doc, m_options);
  if (!bytes) {
    return std::unexpected(bytes.error());
  }
  std::lock_guard lock(m_mutex);
  return m_transport->write(*bytes);
}

std::expected<PaperStatus, PrinterError> EscPosPrinter::paperStatus() {
  std::lock_guard lock(m_mutex);
  if (auto sent = m_transport->write(PaperStatusQuery); !sent) {
    return std::unexpected(sent.error());
  }
  auto answer = m_transport->read(1, std::chrono::milliseconds(1000));
  if (!answer) {
    // The query went out but no status came back (file: and one-way USB transports cannot
    // read, some printers never answer DLE EOT): unknown, not out of paper. Only a printer that
    // cannot even be written to is an error.
    return PaperStatus::Unknown;
  }
  return decodePaperStatus(answer->front());
}

std::string EscPosPrinter::describe() const {
  return "ESC/POS " + m_transport->describe() + " (" + std::string(toString(m_options.encoding)) +
         ")";
}

}  // namespace prepaid::devices
