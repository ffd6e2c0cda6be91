#pragma once

// BillingService: the money side of the backend engine (issue 5 items 3 and 4). It turns stored
// readings into ledger entries, alarms and relay commands, and sells, refunds and corrects.
//
// Thread safety: every public method is thread-safe. The service keeps no mutable state of its
// own: all state (balances, rating state, mirror state, alarm levels, commands) lives in the store,
// and every operation is one or more Store::write transactions, which the store serialises. The
// clock passed at construction must be callable from any thread.
//
// Durability: every transaction that moves money (charges, sales, refunds, corrections, purchase
// counts, recharge/trip/close commands) runs with store::Durability::Full.
//
// The design (meter-side mirroring, idempotency keys, what each entry kind means here) is written
// down in backend/billing/README.md.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "prepaid/billing/billing_error.hpp"
#include "prepaid/domain/holiday_calendar.hpp"
#include "prepaid/domain/reading.hpp"
#include "prepaid/domain/tariff.hpp"
#include "prepaid/domain/time.hpp"
#include "prepaid/domain/trip_policy.hpp"
#include "prepaid/store/ids.hpp"
#include "prepaid/store/ledger_repository.hpp"
#include "prepaid/store/reading_repository.hpp"
#include "prepaid/store/store.hpp"
#include "prepaid/store/tariff_repository.hpp"
#include "prepaid/store/transaction.hpp"

namespace prepaid::backend::billing {

/// The current instant (UTC). Called from any thread.
using Clock = std::function<domain::Instant()>;

/// Tunables where DOMAIN.md gives no number; defaults documented in README.md.
struct BillingOptions {
  domain::RegisterLimits registerLimits;       // rollover modulus and largest believable delta
  std::int64_t balanceHysteresisFen = 100;     // leave an alarm level upward 1.00 yuan above it
  std::int64_t overloadHysteresisPercent = 5;  // overload clears at <= threshold x (1 - 5%)
  std::int64_t overVoltageDeciV = 2640;        // over-voltage above 264.0 V (220 V + 20%)
  std::int64_t underVoltageDeciV = 1760;       // under-voltage below 176.0 V (220 V - 20%)
  std::int64_t voltageHysteresisDeciV = 50;    // voltage alarms clear 5.0 V inside the limits
  domain::DailyWindow night;                   // delayed trips: quiet night window (22:00-06:00)
  domain::HolidayCalendar calendar;            // delayed trips: holidays (weekends always count)
  std::size_t metersPerTransaction = 64;       // processReadings group commit (>= 1)
  std::string source = "billing";              // ledger `source` of charges posted here
};

// [SECTION] processReadings

enum class ReadingOutcome {
  Charged,           // server-side: the interval was rated (chargedFen may be 0: sub-fen carry)
  Mirrored,          // meter-side: the meter's balance was mirrored (chargedFen may be 0)
  Baseline,          // first reading, replaced meter, reset baseline: nothing to rate
  NotBilled,         // meter not on an open account: the baseline moves, nothing is charged
  AlreadyProcessed,  // not newer than the last reading billing processed: nothing posted again
  Anomaly,           // register anomaly / meter balance above the ledger: reported, not charged
  MirrorFrozen,      // meter-side with an unresolved purchase-count mismatch: nothing posted
  Failed,            // an error (see `error`); nothing of this meter's transaction was kept
};

struct ReadingReport {
  store::MeterId meterId = 0;
  domain::Instant readAt{};
  ReadingOutcome outcome = ReadingOutcome::Failed;
  std::int64_t chargedFen = 0;                        // posted for this reading (>= 0)
  std::optional<store::LedgerEntryId> chargeEntryId;  // the Charge entry, when one was posted
  std::string detail;                                 // anomaly / frozen / failure description
  std::optional<BillingError> error;                  // set when outcome == Failed
};

struct ProcessSummary {
  std::vector<ReadingReport> readings;  // one per input reading, in input order
  std::int64_t chargesPosted = 0;
  std::int64_t chargedFen = 0;
  std::int64_t anomalies = 0;
  std::int64_t failures = 0;
  std::vector<store::AlarmId> alarmsRaised;      // alarms opened by this call
  std::vector<store::AlarmId> alarmsCleared;     // alarms cleared by this call
  std::vector<store::CommandId> commandsQueued;  // Trip/Close commands enqueued by this call
};

// [SECTION] money operations

/// 售电 request. `source` is the operator's name or the channel ("kiosk", "pay").
struct SaleRequest {
  store::MeterId meterId = 0;
  std::int64_t amountFen = 0;  // > 0
  std::string idempotencyKey;  // chosen by the caller (order id, API Idempotency-Key)
  std::string source;
  std::string note;
};

/// 退电 request (server-side meters only, see README.md).
struct RefundRequest {
  store::MeterId meterId = 0;
  std::int64_t amountFen = 0;  // > 0, at most the balance
  std::string idempotencyKey;
  std::string source;
  std::string note;
};

/// 冲正 request: reverses one recharge or refund entry exactly, at most once.
struct CorrectionRequest {
  store::LedgerEntryId entryId = 0;
  std::string idempotencyKey;
  std::string source;
  std::string note;
};

/// 期初余额: the balance a meter brings when a running site migrates onto Prepaid, and for a
/// meter-side meter the purchase count (购电次数) the meter already holds. Posted once per meter,
/// before any other ledger entry, as a TransferIn entry under the key openingBalanceKey(meter)
/// (README.md "Opening balances"). Nothing is sent to the meter: the money is already there.
struct OpeningBalanceRequest {
  store::MeterId meterId = 0;
  std::int64_t amountFen = 0;  // > 0 (a zero balance needs no entry: post nothing)
  // The meter's own purchase count (0..4294967295). Meter-side: the backend's count is set to it
  // so the purchase-count check agrees with the meter; when absent, the backend's current count
  // is kept and recorded. Server-side: optional, sets the count later sales continue from.
  std::optional<std::int64_t> purchaseCount;
  std::string source;  // operator or tool ("prepaidctl init")
  std::string note;
};

/// "opening:<meter id>", the idempotency key of a meter's opening balance entry.
[[nodiscard]] std::string openingBalanceKey(store::MeterId meter);

/// True for the entry postOpeningBalance wrote: a TransferIn under openingBalanceKey(meter) that
/// references no other entry (a replacement transfer always references its TransferOut).
[[nodiscard]] bool isOpeningBalance(const store::LedgerEntry& entry);

/// 老表金额转入: the balance of a meter being replaced moves to its successor on the same open
/// account (see BillingService::transferBalance).
struct TransferRequest {
  store::MeterId fromMeterId = 0;  // the old meter (on an open account, not replaced yet)
  store::MeterId toMeterId = 0;    // the new meter (on the same open account)
  std::string idempotencyKey;      // the pair is posted under "<key>:out" and "<key>:in"
  std::string source;              // operator
  std::string note;
};

/// 销户 of one meter (see BillingService::closeMeter).
struct CloseMeterRequest {
  store::MeterId meterId = 0;
  std::string idempotencyKey;  // key of the CloseSettlement entry (e.g. "close:<account>:<meter>")
  std::string source;          // operator
  std::string note;
};

enum class Replay {
  New,       // the entry was posted by this call
  Replayed,  // the key was used before for the same request: the first result is returned
};

/// What a receipt prints, and what a caller needs to follow up.
struct Receipt {
  store::LedgerEntryId entryId = 0;
  store::MeterId meterId = 0;
  domain::EntryKind kind = domain::EntryKind::Recharge;
  std::int64_t amountFen = 0;                         // signed as posted (refund < 0)
  std::int64_t balanceAfterFen = 0;                   // the meter's balance right after this entry
  std::optional<std::int64_t> purchaseCount;          // 购电次数 of a sale
  domain::Instant at{};                               // when the entry was posted
  std::optional<store::CommandId> rechargeCommandId;  // meter-side sale: the Recharge command
  std::optional<store::CommandId> closeCommandId;     // server-side: a reclose enqueued now
  Replay replay = Replay::New;
};

/// What transferBalance did. Nothing is transferred when the old meter's final balance is 0.
struct TransferResult {
  std::int64_t finalChargeFen = 0;  // charged on the old meter from its last stored reading
  std::int64_t amountFen = 0;       // moved (>= 0)
  std::optional<store::LedgerEntryId> outEntryId;  // TransferOut on the old meter
  std::optional<Receipt> in;  // the TransferIn on the new meter (recharge/close commands in it)
  std::vector<store::CommandId> cancelledCommands;  // the old meter's undelivered recharges
  Replay replay = Replay::New;
};

/// What closeMeter did.
struct CloseMeterResult {
  store::MeterId meterId = 0;
  std::int64_t finalChargeFen = 0;  // charged from the last stored reading before settling
  std::int64_t settledFen = 0;      // the balance settled to 0: > 0 owed to the tenant, < 0 arrears
  std::optional<store::LedgerEntryId> settlementEntryId;  // none when the balance was 0
  std::vector<store::CommandId> cancelledCommands;        // undelivered recharges / closes
  std::vector<store::CommandId> queuedCommands;           // keep-power-off and trip
  Replay replay = Replay::New;
};

class BillingService {
 public:
  /// `store` must outlive the service. Precondition: options.metersPerTransaction >= 1.
  BillingService(store::Store& store, Clock clock, BillingOptions options = {});

  /// Called by collection right after a batch of readings was stored (Store::writeReadings). For
  /// each reading, in time order per meter: server-side meters are rated from the last processed
  /// reading and charged; meter-side meters have their balance mirrored and their purchase count
  /// checked; then alarms are evaluated and (server-side) the trip policy may enqueue Trip/Close.
  /// Idempotent: a reading at or before the last one processed for its meter posts nothing.
  /// Readings of up to metersPerTransaction meters share one Durability::Full transaction; if
  /// that fails, each meter is retried in its own transaction, so one failing meter never blocks
  /// the others. Per-reading results are in the summary; the call itself fails only when the
  /// site settings cannot be read.
  [[nodiscard]] std::expected<ProcessSummary, BillingError> processReadings(
      std::span<const store::Reading> batch);

  /// 售电. Checks (in this order): key not empty, amount > 0, meter known, not replaced/closed,
  /// on an open account, sales not blocked, balance + amount <= hoarding cap. Appends a Recharge
  /// entry with the meter's next purchase count; for a meter-side meter enqueues in the same
  /// transaction the Recharge command (PriorityRecharge, purchase count, ledger entry id); for a
  /// server-side meter evaluates reclose. A key seen before with the same meter and amount
  /// returns the first receipt (Replayed, nothing posted); otherwise IdempotencyConflict.
  [[nodiscard]] std::expected<Receipt, BillingError> sell(const SaleRequest& request);

  /// 退电 (server-side meters). Errors: as sell, plus RefundAboveBalance and
  /// NotSupportedMeterSide (the meter protocol has no refund). Replays like sell.
  [[nodiscard]] std::expected<Receipt, BillingError> refund(const RefundRequest& request);

  /// 冲正: posts the exact negation of a recharge or refund. Errors: UnknownEntry, NotCorrectable
  /// (corrections, charges, transfers, settlements), AlreadyCorrected, and for a meter-side
  /// recharge NotSupportedMeterSide unless its Recharge command is still queued and it is the
  /// latest sale (then the command is cancelled and the purchase count given back).
  [[nodiscard]] std::expected<Receipt, BillingError> correct(const CorrectionRequest& request);

  /// 期初余额: posts a meter's opening balance (see OpeningBalanceRequest) in its own
  /// Durability::Full transaction, then evaluates alarms (as after a recharge: a low opening level
  /// is shown, not announced) and, for a server-side meter, the trip policy (a Close for a relay
  /// billing opened). No Recharge command is queued. Checks: source, amount > 0, purchase count in
  /// range (InvalidConfiguration), meter known, not replaced/closed (MeterClosed), on an open
  /// account (AccountNotOpen), no ledger entry yet (LedgerNotEmpty). The hoarding cap does not
  /// apply (the money is the tenant's already). Idempotent: the same meter, amount and purchase
  /// count again returns the first receipt (Replayed); a different amount or count for a meter
  /// that has its opening balance is IdempotencyConflict.
  [[nodiscard]] std::expected<Receipt, BillingError> postOpeningBalance(
      const OpeningBalanceRequest& request);

  /// The same inside the caller's write transaction (prepaidctl init writes a whole site, opening
  /// balances included, in one transaction). On an error the caller must roll back: some of the
  /// posting may already be in `tx`. Call with Durability::Full.
  [[nodiscard]] std::expected<Receipt, BillingError> postOpeningBalance(
      store::WriteTransaction& tx, const OpeningBalanceRequest& request);

  /// 老表金额转入. In the caller's write transaction (the account route also moves the meters
  /// and writes the audit record; roll back on an error; call with Durability::Full):
  ///  1. the old meter's last stored reading is billed if it was not yet (final charge);
  ///  2. its undelivered Recharge commands are cancelled (their money is in the ledger balance
  ///     that moves) and a meter-side meter's purchase count is given back; a recharge already
  ///     sent and not confirmed refuses the transfer (SettlementBlocked: retry once resolved);
  ///  3. a positive balance is posted as TransferOut (old) / TransferIn (new, referencing it).
  ///     A meter-side new meter gets a Recharge command with the amount and its next purchase
  ///     count, exactly like a sale, so the mirror expects the money on the meter; a server-side
  ///     one is ledger only. Alarms and the trip policy (reclose) run for the new meter.
  /// Errors: EmptyIdempotencyKey, MissingSource, UnknownMeter, MeterClosed, AccountNotOpen,
  /// InvalidConfiguration (same meter twice, not on the same account), SettlementBlocked (old
  /// meter in arrears, or a recharge in flight). The hoarding cap does not apply. A key used
  /// before for the same two meters returns the first result (Replayed). The old meter's status
  /// is left to the caller.
  [[nodiscard]] std::expected<TransferResult, BillingError> transferBalance(
      store::WriteTransaction& tx, const TransferRequest& request);

  /// The same in its own Durability::Full transaction.
  [[nodiscard]] std::expected<TransferResult, BillingError> transferBalance(
      const TransferRequest& request);

  /// 销户 of one meter, in the caller's write transaction (the account route closes every meter
  /// and the account in one; roll back on an error; call with Durability::Full):
  ///  1. final charge from the last stored reading (as transferBalance);
  ///  2. undelivered Recharge commands are cancelled (purchase count given back), and so are
  ///     queued Close / keep-power-on / resume-prepaid commands; a recharge in flight refuses
  ///     (SettlementBlocked);
  ///  3. a non-zero balance is settled to 0 with one CloseSettlement entry under the key;
  ///  4. the open balance alarms (alarm 1, alarm 2, arrears) are cleared, the meter's status
  ///     becomes Closed, and the relay is tripped: keep power off first when it was on, then a
  ///     Trip (payload "billing:close") unless one is already on its way. A meter-side meter keeps
  ///     whatever balance it physically holds (the protocol cannot clear it); the trip stops the
  ///     supply and the settlement pays the ledger balance out (README.md "Closing").
  /// Errors: EmptyIdempotencyKey, MissingSource, UnknownMeter, MeterClosed, AccountNotOpen,
  /// SettlementBlocked.
  [[nodiscard]] std::expected<CloseMeterResult, BillingError> closeMeter(
      store::WriteTransaction& tx, const CloseMeterRequest& request);

  /// The same in its own Durability::Full transaction.
  [[nodiscard]] std::expected<CloseMeterResult, BillingError> closeMeter(
      const CloseMeterRequest& request);

  /// 调价: adds a tariff version taking effect at `effectiveFrom` (>= now; energy before it keeps
  /// the old price, nothing posted is re-rated). Errors: UnknownTariff, InvalidTariff,
  /// PriceChangeInPast, IdempotencyConflict when the tariff already has a version at that instant.
  [[nodiscard]] std::expected<store::TariffVersion, BillingError> changePrice(
      store::TariffId tariff, const domain::Tariff& definition, domain::Instant effectiveFrom);

  /// Re-runs alarm evaluation and the trip policy of one meter at the current instant with its
  /// current balance and last reading (a delayed trip whose check time came, a changed keep-power
  /// or trip policy). Returns the commands enqueued.
  [[nodiscard]] std::expected<std::vector<store::CommandId>, BillingError> reevaluate(
      store::MeterId meter);

  /// Staff resolving a purchase-count mismatch (比对充值次数): sets the backend's purchase count
  /// to `purchaseCount`, clears the alarm, lifts the sales block and resumes mirroring from the
  /// next reading. UnknownMeter; NonPositiveAmount is not used here (counts may be 0).
  [[nodiscard]] std::expected<void, BillingError> resolvePurchaseCountMismatch(
      store::MeterId meter, std::int64_t purchaseCount);

  /// Staff after a register reset or an undeclared meter swap: the next reading of the meter
  /// becomes a new baseline (nothing is charged for the interval before it).
  [[nodiscard]] std::expected<void, BillingError> resetBaseline(store::MeterId meter);

 private:
  store::Store& m_store;
  Clock m_clock;
  BillingOptions m_options;
};

}  // namespace prepaid::backend::billing
