#pragma once

// Identify screen: shop number on the keypad (then the PIN where the site requires it), or the
// account's QR card from the scanner.

#include <functional>

#include "prepaid/viewmodels/session_context.hpp"

namespace prepaid::kiosk {

class IdentifyViewModel {
 public:
  enum class Step { ShopNumber, Pin };
  static constexpr std::size_t MaxShopNumberLength = 16;
  static constexpr std::size_t MaxPinLength = 8;

  explicit IdentifyViewModel(SessionContext& context) : m_context(context) {}

  void reset();
  /// A keypad key: digits, letters, '-'.
  void key(char c);
  void backspace();
  void clear();
  /// OK: look up the shop (or check the PIN).
  void submit();
  /// The scanner read an account QR card.
  void cardScanned(const std::string& token);
  /// Continue without the PIN: only paying in is possible (no personal details).
  void skipPin();
  void backToShopNumber();

  [[nodiscard]] Step step() const { return m_step; }
  [[nodiscard]] const std::string& entry() const { return m_entry; }
  [[nodiscard]] const std::string& shopNumber() const { return m_shopNumber; }
  /// The entry as shown: the PIN masked as dots.
  [[nodiscard]] std::string display() const;
  [[nodiscard]] bool busy() const { return m_busy; }
  [[nodiscard]] const Message& message() const { return m_message; }
  [[nodiscard]] bool canSubmit() const;

  /// Called with the account once identified (personal or pay-only).
  std::function<void(const api::AccountView&)> onIdentified;

 private:
  void lookUp(IdentifyRequest request);
  SessionContext& m_context;
  Step m_step = Step::ShopNumber;
  std::string m_entry;
  std::string m_shopNumber;
  std::optional<api::AccountView> m_payOnly;  // what identify returned without a PIN
  bool m_busy = false;
  Message m_message;
  std::uint64_t m_request = 0;  // newer submits win
};

}  // namespace prepaid::kiosk
