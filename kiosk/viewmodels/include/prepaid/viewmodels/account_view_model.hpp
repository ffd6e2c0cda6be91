#pragma once

// Account overview, alarms and recent recharges (with receipt reprint) of the identified tenant.

#include <map>

#include "prepaid/viewmodels/session_context.hpp"

namespace prepaid::kiosk {

/// One meter card of the overview, ready to draw.
struct MeterCard {
  std::int64_t meterId = 0;
  std::string serial;
  bool personal = false;
  std::string balanceYuan;  // "123.45"
  bool negative = false;
  std::string statusKey;  // i18n key
  std::uint32_t statusColour = 0;
  std::string lastReading;  // "2024-05-01 08:30" or "" when never read
  std::string todayKwh;     // "12.34"
  Message daysLeft;         // "account.days_left" {n} or a reason key
  std::string hoardingCapYuan;
  bool salesBlocked = false;
  bool water = false;
};

struct RechargeRow {
  std::int64_t entryId = 0;
  std::string meterSerial;
  std::string kindKey;  // "history.kind.recharge" ...
  std::string amountYuan;
  std::string time;
  std::string sourceKey;  // "history.source.online" | "history.source.counter"
  std::optional<std::int64_t> purchaseCount;
};

struct AlarmRow {
  std::string meterSerial;
  std::string kindKey;  // "alarm.kind.<kind>"
  std::string raisedAt;
};

class AccountViewModel {
 public:
  explicit AccountViewModel(SessionContext& context) : m_context(context) {}

  /// Reloads the account, alarms and recharges (personal view only). Look-ups that fail
  /// because the backend is unreachable are retried by the session's tick.
  void refresh();
  void reset();

  [[nodiscard]] std::vector<MeterCard> cards() const;
  [[nodiscard]] std::vector<AlarmRow> alarmRows() const;
  [[nodiscard]] std::vector<RechargeRow> rechargeRows() const;
  [[nodiscard]] bool loading() const { return m_loading > 0; }
  [[nodiscard]] const Message& message() const { return m_message; }
  /// True when some look-up failed and should be retried.
  [[nodiscard]] bool needsRetry() const { return m_needsRetry; }

  /// Fetches the receipt data of a recharge and prints it marked as a reprint.
  void reprint(std::int64_t entryId);
  [[nodiscard]] bool printing() const { return m_printing; }
  [[nodiscard]] const Message& printMessage() const { return m_printMessage; }

 private:
  SessionContext& m_context;
  int m_loading = 0;
  bool m_needsRetry = false;
  Message m_message;
  bool m_printing = false;
  Message m_printMessage;
};

/// Receipt names of the API's payment methods ("wechat", "alipay", "cash"), taken from the
/// catalogue (payment.method.*) in both receipt languages: "微信支付 WeChat Pay". Built on the UI
/// thread (the catalogue is not for workers), then copied into a worker that composes a receipt.
struct PaymentMethodNames {
  std::map<std::string, std::string, std::less<>> byMethod;
  /// The receipt name of `method`; an unknown method (or no catalogue) prints as sent.
  [[nodiscard]] std::string name(std::string_view method) const;
};
[[nodiscard]] PaymentMethodNames paymentMethodNames(const SessionContext& context);

/// Receipt content from the API's receipt data (shared by reprint and the recharge flow).
[[nodiscard]] devices::ReceiptData receiptData(const api::Receipt& receipt,
                                               devices::ReceiptCopy copy,
                                               const PaymentMethodNames& methods);

}  // namespace prepaid::kiosk
