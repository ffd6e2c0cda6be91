#pragma once

// Recharge: choose the meter and an amount (presets or custom, within the hoarding cap), pay by
// the QR code the kiosk shows or by scanning the customer's payment code, follow the order
// (waiting -> paid -> crediting -> done) with a countdown, print the receipt. Every failure ends
// in plain words; "paid but the meter did not answer" ends as credit pending, with a receipt
// saying the credit is applied automatically.

#include <deque>

#include "prepaid/viewmodels/session_context.hpp"

namespace prepaid::kiosk {

class RechargeViewModel {
 public:
  enum class Step {
    Choose,         // meter, amount, channel
    CheckingPaper,  // asking the printer before money moves
    PaperWarning,   // printer out of paper: continue without receipt or cancel
    Creating,       // creating the order
    Waiting,        // QR shown / waiting for the customer's code; countdown runs
    Crediting,      // paid; the meter is being credited
    Done,           // credited
    CreditPending,  // paid, credit not confirmed yet: applied automatically
    Failed,         // plain-words reason in message()
  };
  static constexpr std::size_t MaxCustomDigits = 5;  // yuan
  static constexpr std::chrono::milliseconds PollInterval{1500};

  explicit RechargeViewModel(SessionContext& context) : m_context(context) {}

  /// Starts a recharge (meter 0: the first meter that can take one).
  void begin(std::int64_t meterId = 0);
  void reset();
  void selectMeter(std::int64_t meterId);
  void choosePreset(std::int64_t amountFen);
  /// Custom amount in whole yuan on the keypad.
  void customKey(char digit);
  void customBackspace();
  void setChannel(PaymentChannel channel) {
    if (m_step == Step::Choose) {
      m_channel = channel;
    }
  }
  /// Pay: checks the paper, then creates the order.
  void pay();
  /// After the paper warning: pay anyway (no receipt).
  void continueWithoutReceipt();
  /// Back out: cancels a waiting order at the backend.
  void cancel();
  /// A payment code read by the scanner while waiting on the Code channel.
  void codeScanned(const std::string& code);
  /// Countdown and order polling; call every frame (cheap when nothing is due).
  void tick(SteadyTime now);

  [[nodiscard]] Step step() const { return m_step; }
  [[nodiscard]] std::int64_t meterId() const { return m_meterId; }
  [[nodiscard]] std::int64_t amountFen() const { return m_amountFen; }
  [[nodiscard]] const std::string& customDigits() const { return m_customDigits; }
  [[nodiscard]] PaymentChannel channel() const { return m_channel; }
  /// Highest amount allowed now: the hoarding cap minus the balance (when known) and the kiosk
  /// limit.
  [[nodiscard]] std::int64_t maxAmountFen() const;
  /// Why the amount cannot be paid (empty when it can).
  [[nodiscard]] Message validation() const;
  [[nodiscard]] bool canPay() const;
  [[nodiscard]] const Message& message() const { return m_message; }
  [[nodiscard]] const std::optional<Order>& order() const { return m_order; }
  /// Seconds left on the countdown (Waiting only).
  [[nodiscard]] int secondsLeft(SteadyTime now) const;
  [[nodiscard]] bool finished() const {
    return m_step == Step::Done || m_step == Step::CreditPending || m_step == Step::Failed;
  }
  /// When the flow finished (done, credit pending or failed); nullopt while it runs. The idle
  /// timeout after a finished recharge counts from here: the customer may have paid long after
  /// the tenant last touched the screen.
  [[nodiscard]] std::optional<SteadyTime> finishedAt() const { return m_finishedAt; }
  [[nodiscard]] bool receiptWanted() const { return m_receiptWanted; }
  [[nodiscard]] const Message& receiptMessage() const { return m_receiptMessage; }
  /// Balance after the recharge when the backend sent it ("" otherwise).
  [[nodiscard]] std::string balanceAfterYuan() const;
  /// When the next poll or countdown step is due (the frame loop wakes up then). Only deadlines
  /// tick() will act on: nothing while the answer to a request is awaited (the worker's
  /// wake-up brings it), so a late answer never makes the frame loop spin.
  [[nodiscard]] std::optional<SteadyTime> nextDue() const;
  /// True after a timeout whose cancel could not be confirmed (backend unreachable): the screen
  /// says the state is unknown, and the order is still followed until it reaches a final state.
  [[nodiscard]] bool confirming() const { return m_confirming; }
  /// Orders whose cancel was never confirmed when the tenant left (the flow was reset): still
  /// followed in the background — cancelled again while open — until they reach a final state.
  /// Call every frame on any screen; cheap when nothing is due.
  void followBackground(SteadyTime now);
  /// When followBackground() next has something to do.
  [[nodiscard]] std::optional<SteadyTime> backgroundDue() const;
  [[nodiscard]] std::size_t backgroundOrders() const { return m_background.size(); }
  static constexpr std::chrono::seconds BackgroundInterval{5};

 private:
  void createOrder();
  void applyOrder(const Order& order);
  void fail(Message message);
  void finishWithReceipt(devices::ReceiptVariant variant);
  void pollOrder(SteadyTime now);
  void confirmUnknownOutcome(const Order& order);
  [[nodiscard]] static std::string newIdempotencyKey();

  SessionContext& m_context;
  Step m_step = Step::Choose;
  std::int64_t m_meterId = 0;
  std::int64_t m_amountFen = 0;
  std::string m_customDigits;
  PaymentChannel m_channel = PaymentChannel::Qr;
  Message m_message;
  std::optional<Order> m_order;
  std::string m_idempotencyKey;
  SteadyTime m_deadline{};
  std::optional<SteadyTime> m_paidAt;
  std::optional<SteadyTime> m_finishedAt;
  SteadyTime m_nextPoll{};
  bool m_requestInFlight = false;
  bool m_cancelling = false;
  bool m_confirming = false;
  // Not tenant data (only order numbers, never shown): survives reset().
  std::deque<std::string> m_background;
  SteadyTime m_nextBackground{};
  bool m_backgroundInFlight = false;
  bool m_receiptWanted = true;
  Message m_receiptMessage;
  std::uint64_t m_flow = 0;  // bumped on reset: stale continuations drop out
};

}  // namespace prepaid::kiosk
