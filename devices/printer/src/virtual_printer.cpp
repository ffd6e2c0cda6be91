#include "prepaid/printer/virtual_printer.hpp"

#include <algorithm>
#include <fstream>
#include <memory>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <qrencode.h>
#include <stb_image_write.h>

namespace prepaid::devices {

namespace {

constexpr int MarginDots = 16;
constexpr int NormalPixelSize = 24;  // ESC/POS font A is 12x24 dots
constexpr int QrModuleDots = 6;

std::u32string decodeUtf8(std::string_view utf8) {
  std::u32string out;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    char32_t cp = '?';
    std::size_t length = 1;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
      cp = ((lead & 0x1FU) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3FU);
      length = 2;
    } else if ((lead & 0xF0) == 0xE0 && i + 2 < utf8.size()) {
      cp = ((lead & 0x0FU) << 12) | ((static_cast<unsigned char>(utf8[i + 1]) & 0x3FU) << 6) |
           (static_cast<unsigned char>(utf8[i + 2]) & 0x3FU);
      length = 3;
    } else if ((lead & 0xF8) == 0xF0 && i + 3 < utf8.size()) {
      cp = ((lead & 0x07U) << 18) | ((static_cast<unsigned char>(utf8[i + 1]) & 0x3FU) << 12) |
           ((static_cast<unsigned char>(utf8[i + 2]) & 0x3FU) << 6) |
           (static_cast<unsigned char>(utf8[i + 3]) & 0x3FU);
      length = 4;
    }
    out.push_back(cp);
    i += length;
  }
  return out;
}

struct FtLibraryCloser {
  void operator()(FT_Library library) const { FT_Done_FreeType(library); }
};
struct FtFaceCloser {
  void operator()(FT_Face face) const { FT_Done_Face(face); }
};
struct QrCloser {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

class Canvas {
 public:
  explicit Canvas(int width) : m_width(width) {}
  void ensureHeight(int height) {
    if (height > m_height) {
      m_pixels.resize(static_cast<std::size_t>(m_width) * static_cast<std::size_t>(height), 255);
      m_height = height;
    }
  }
  void darken(int x, int y, std::uint8_t coverage) {
    if (x < 0 || x >= m_width || y < 0) {
      return;
    }
    ensureHeight(y + 1);
    auto& pixel = m_pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(m_width) +
                           static_cast<std::size_t>(x)];
    pixel = static_cast<std::uint8_t>(std::min<int>(pixel, 255 - coverage));
  }
  [[nodiscard]] int width() const { return m_width; }
  [[nodiscard]] int height() const { return m_height; }
  std::vector<std::uint8_t>& pixels() { return m_pixels; }

 private:
  int m_width;
  int m_height = 0;
  std::vector<std::uint8_t> m_pixels;
};

}  // namespace

VirtualPrinter::VirtualPrinter(std::filesystem::path directory, std::filesystem::path fontPath,
                               std::size_t columns)
    : m_directory(std::move(directory)), m_fontPath(std::move(fontPath)), m_columns(columns) {}

std::string VirtualPrinter::renderText(const ReceiptDocument& doc, std::size_t columns) {
  std::string out;
  for (const auto& line : doc.lines) {
    std::string text;
    switch (line.kind) {
      case ReceiptLine::Kind::Text:
      case ReceiptLine::Kind::Rule:
        text = line.text;
        break;
      case ReceiptLine::Kind::Blank:
        break;
      case ReceiptLine::Kind::Qr:
        text = "[QR " + line.text + "]";
        break;
    }
    const std::size_t width = displayColumns(text);
    std::size_t pad = 0;
    if (width < columns) {
      if (line.align == Align::Centre) {
        pad = (columns - width) / 2;
      } else if (line.align == Align::Right) {
        pad = columns - width;
      }
    }
    out += std::string(pad, ' ') + text + "\n";
  }
  return out;
}

std::expected<VirtualPrinter::Image, PrinterError> VirtualPrinter::renderImage(
    const ReceiptDocument& doc, const std::filesystem::path& fontPath, int widthDots) {
  FT_Library rawLibrary = nullptr;
  if (FT_Init_FreeType(&rawLibrary) != 0) {
    return std::unexpected(PrinterError{PrinterErrorCode::Render, "FreeType init failed"});
  }
  std::unique_ptr<FT_LibraryRec_, FtLibraryCloser> library(rawLibrary);
  FT_Face rawFace = nullptr;
  if (FT_New_Face(library.get(), fontPath.c_str(), 0, &rawFace) != 0) {
    return std::unexpected(
        PrinterError{PrinterErrorCode::Render, "cannot load font " + fontPath.string()});
  }
  std::unique_ptr<FT_FaceRec_, FtFaceCloser> face(rawFace);

  Canvas canvas(widthDots);
  int y = MarginDots;
  const int usable = widthDots - 2 * MarginDots;
  for (const auto& line : doc.lines) {
    if (line.kind == ReceiptLine::Kind::Blank) {
      y += NormalPixelSize;
      continue;
    }
    if (line.kind == ReceiptLine::Kind::Qr) {
      std::unique_ptr<QRcode, QrCloser> code(
          QRcode_encodeString8bit(line.text.c_str(), 0, QR_ECLEVEL_M));
      if (!code) {
        return std::unexpected(PrinterError{PrinterErrorCode::Render, "QR encoding failed"});
      }
      const int side = code->width * QrModuleDots;
      const int x0 = MarginDots + (usable - side) / 2;
      for (int my = 0; my < code->width; ++my) {
        for (int mx = 0; mx < code->width; ++mx) {
          if ((code->data[my * code->width + mx] & 1) == 0) {
            continue;
          }
          for (int dy = 0; dy < QrModuleDots; ++dy) {
            for (int dx = 0; dx < QrModuleDots; ++dx) {
              canvas.darken(x0 + mx * QrModuleDots + dx, y + my * QrModuleDots + dy, 255);
            }
          }
        }
      }
      y += side + NormalPixelSize / 2;
      continue;
    }
    if (line.kind == ReceiptLine::Kind::Rule) {
      // A rule is a line across the paper, not dashes in a proportional font.
      for (int x = MarginDots; x < widthDots - MarginDots; ++x) {
        canvas.darken(x, y + NormalPixelSize / 2, 255);
        canvas.darken(x, y + NormalPixelSize / 2 + 1, 255);
      }
      y += NormalPixelSize + 6;
      continue;
    }
    const bool doubleHeight = line.size == CharSize::Double || line.size == CharSize::DoubleHeight;
    const int pixelHeight = NormalPixelSize * (doubleHeight ? 2 : 1);
    FT_Set_Pixel_Sizes(face.get(), 0, static_cast<FT_UInt>(pixelHeight));
    const int baseline = y + pixelHeight * 4 / 5;
    auto measure = [&](const std::u32string& text) {
      int advance = 0;
      for (char32_t cp : text) {
        if (FT_Load_Char(face.get(), cp, FT_LOAD_DEFAULT) == 0) {
          advance += static_cast<int>(face->glyph->advance.x >> 6);
        }
      }
      return advance;
    };
    auto draw = [&](const std::u32string& text, int x) {
      for (char32_t cp : text) {
        if (FT_Load_Char(face.get(), cp, FT_LOAD_RENDER) != 0) {
          continue;
        }
        const FT_GlyphSlot glyph = face->glyph;
        const FT_Bitmap& bitmap = glyph->bitmap;
        const int passes = line.emphasis == Emphasis::Bold ? 2 : 1;  // bold: strike twice
        for (int pass = 0; pass < passes; ++pass) {
          for (unsigned row = 0; row < bitmap.rows; ++row) {
            for (unsigned col = 0; col < bitmap.width; ++col) {
              const std::uint8_t coverage =
                  bitmap.buffer[static_cast<int>(row) * bitmap.pitch + static_cast<int>(col)];
              if (coverage != 0) {
                canvas.darken(x + glyph->bitmap_left + static_cast<int>(col) + pass,
                              baseline - glyph->bitmap_top + static_cast<int>(row), coverage);
              }
            }
          }
        }
        x += static_cast<int>(glyph->advance.x >> 6);
      }
    };
    // "label      value" lines were padded for a fixed-pitch printer font; in a proportional
    // font the value is placed flush right instead.
    const auto gap = line.text.find("  ");
    if (line.align == Align::Left && gap != std::string::npos) {
      const auto left = decodeUtf8(line.text.substr(0, gap));
      const auto valueStart = line.text.find_first_not_of(' ', gap);
      const auto right =
          decodeUtf8(valueStart == std::string::npos ? "" : line.text.substr(valueStart));
      draw(left, MarginDots);
      draw(right, MarginDots + std::max(0, usable - measure(right)));
    } else {
      const auto text = decodeUtf8(line.text);
      const int advance = measure(text);
      int x = MarginDots;
      if (line.align == Align::Centre) {
        x += std::max(0, (usable - advance) / 2);
      } else if (line.align == Align::Right) {
        x += std::max(0, usable - advance);
      }
      draw(text, x);
    }
    y += pixelHeight + 6;
  }
  canvas.ensureHeight(y + MarginDots);
  return Image{canvas.width(), canvas.height(), std::move(canvas.pixels())};
}

std::expected<void, PrinterError> VirtualPrinter::print(const ReceiptDocument& doc) {
  std::lock_guard lock(m_mutex);
  std::error_code ec;
  std::filesystem::create_directories(m_directory, ec);
  if (ec) {
    return std::unexpected(
        PrinterError{PrinterErrorCode::OpenFailed,
                     "cannot create " + m_directory.string() + ": " + ec.message()});
  }
  // Continue numbering after files already there so a restarted demo never overwrites.
  std::size_t next = 1;
  for (const auto& entry : std::filesystem::directory_iterator(m_directory, ec)) {
    const auto name = entry.path().stem().string();
    if (name.starts_with("receipt-")) {
      next = std::max<std::size_t>(next, std::strtoull(name.c_str() + 8, nullptr, 10) + 1);
    }
  }
  char stem[32];
  std::snprintf(stem, sizeof(stem), "receipt-%04zu", next);
  const auto textPath = m_directory / (std::string(stem) + ".txt");
  const auto pngPath = m_directory / (std::string(stem) + ".png");

  auto image = renderImage(doc, m_fontPath);
  if (!image) {
    return std::unexpected(image.error());
  }
  {
    std::ofstream out(textPath, std::ios::binary);
    out << renderText(doc, m_columns);
    if (!out) {
      return std::unexpected(
          PrinterError{PrinterErrorCode::WriteFailed, "cannot write " + textPath.string()});
    }
  }
  if (stbi_write_png(pngPath.c_str(), image->width, image->height, 1, image->pixels.data(),
                     image->width) == 0) {
    return std::unexpected(
        PrinterError{PrinterErrorCode::WriteFailed, "cannot write " + pngPath.string()});
  }
  m_written.push_back(textPath);
  m_written.push_back(pngPath);
  return {};
}

std::expected<PaperStatus, PrinterError> VirtualPrinter::paperStatus() {
  std::lock_guard lock(m_mutex);
  std::error_code ec;
  if (std::filesystem::exists(m_directory / "PAPER_OUT", ec)) {
    return PaperStatus::Out;
  }
  return PaperStatus::Ok;
}

std::string VirtualPrinter::describe() const {
  return "virtual " + m_directory.string();
}

std::vector<std::filesystem::path> VirtualPrinter::written() const {
  std::lock_guard lock(m_mutex);
  return m_written;
}

}  // namespace prepaid::devices
