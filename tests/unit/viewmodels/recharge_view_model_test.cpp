#include "prepaid/viewmodels/recharge_view_model.hpp"

#include "fakes.hpp"
#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

using namespace std::chrono_literals;
using testing::Harness;
using Step = RechargeViewModel::Step;

struct RechargeHarness : Harness {
  RechargeHarness() {
    identifyShop("A101");
    session.navigate(Screen::Recharge);
  }
  RechargeViewModel& vm() { return session.recharge(); }
  void payPreset(std::int64_t fen) {
    vm().choosePreset(fen);
    vm().pay();
    runner.settle();
  }
};

TEST(RechargeViewModel, StartsOnTheFirstMeterWithAPreset) {
  RechargeHarness h;
  EXPECT_EQ(h.vm().step(), Step::Choose);
  EXPECT_EQ(h.vm().meterId(), 11);
  EXPECT_EQ(h.vm().amountFen(), 10000);
  EXPECT_TRUE(h.vm().canPay());
}

TEST(RechargeViewModel, ChooseMeterPromptNamesTheTenantsKindOfMeter) {
  auto chooseMessage = [](std::vector<std::string> media) {
    Harness h;
    auto account = testing::account();
    account.meters.clear();
    std::int64_t id = 11;
    for (const auto& medium : media) {
      auto m = testing::meter(id++, 5000);
      m.medium = medium;
      account.meters.push_back(m);
    }
    h.api.identifyResult = account;
    h.api.accountResult = account;
    h.identifyShop("A101");
    h.session.navigate(Screen::Recharge);
    h.session.recharge().begin(999);  // no such meter: nothing chosen
    return h.session.recharge().validation();
  };
  EXPECT_EQ(chooseMessage({"electricity", "electricity"}), (Message{"recharge.choose_meter", {}}));
  EXPECT_EQ(chooseMessage({"water"}), (Message{"recharge.choose_meter_water", {}}));
  EXPECT_EQ(chooseMessage({"water", "electricity"}), (Message{"recharge.choose_meter_any", {}}));
}

TEST(RechargeViewModel, CustomAmountIsWholeYuanWithinTheHoardingCap) {
  RechargeHarness h;
  h.vm().customKey('0');  // no leading zero
  EXPECT_EQ(h.vm().customDigits(), "");
  for (char c : std::string("3000")) {
    h.vm().customKey(c);
  }
  EXPECT_EQ(h.vm().amountFen(), 300000);
  // cap 2000.00, balance 50.00 -> at most 1950.00
  EXPECT_EQ(h.vm().maxAmountFen(), 195000);
  EXPECT_EQ(h.vm().validation(), (Message{"recharge.above_cap", {"1950.00"}}));
  EXPECT_FALSE(h.vm().canPay());
  h.vm().pay();
  EXPECT_EQ(h.vm().step(), Step::Choose);
  EXPECT_TRUE(h.api.createCalls.empty());
  h.vm().customBackspace();
  EXPECT_EQ(h.vm().amountFen(), 30000);
  EXPECT_TRUE(h.vm().canPay());
}

TEST(RechargeViewModel, QrPaymentRunsToDoneAndPrintsTheReceipt) {
  RechargeHarness h;
  h.payPreset(10000);
  ASSERT_EQ(h.api.createCalls.size(), 1U);
  EXPECT_EQ(h.api.createCalls[0].amountFen, 10000);
  EXPECT_EQ(h.api.createCalls[0].meterId, 11);
  EXPECT_FALSE(h.api.createCalls[0].idempotencyKey.empty());
  EXPECT_EQ(h.vm().step(), Step::Waiting);
  EXPECT_EQ(h.vm().order()->qrCode, "weixin://wxpay/bizpayurl?pr=O1");
  EXPECT_EQ(h.vm().secondsLeft(h.clock), 180);
  h.api.orderScript = {testing::order(OrderState::Pending), testing::order(OrderState::Paid),
                       testing::order(OrderState::Credited)};
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Waiting);
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Crediting);
  api::Receipt receipt;
  receipt.balanceAfterFen = 15000;
  receipt.purchaseCount = 8;
  h.api.receiptResult = receipt;
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Done);
  EXPECT_EQ(h.vm().balanceAfterYuan(), "150.00");
  ASSERT_EQ(h.printer.printed.size(), 1U);
  const auto& doc = h.printer.printed[0];
  EXPECT_TRUE(testing::docContains(doc, "100.00"));
  EXPECT_TRUE(testing::docContains(doc, "150.00"));
  EXPECT_TRUE(testing::docContains(doc, "O1"));
  EXPECT_TRUE(testing::docContains(doc, "A101"));
  EXPECT_EQ(h.api.receipted, (std::vector<std::string>{"O1"}));
  EXPECT_EQ(h.vm().receiptMessage().key, "print.done");
}

TEST(RechargeViewModel, ReceiptSentWithTheOrderIsPrintedAsIs) {
  RechargeHarness h;
  h.payPreset(10000);
  auto credited = testing::order(OrderState::Credited);
  api::Receipt receipt;
  receipt.siteName = "示范广场";
  receipt.shopNumber = "A101";
  receipt.meterSerial = "MTR11";
  receipt.amountFen = 10000;
  receipt.balanceAfterFen = 15000;
  receipt.purchaseCount = 9;
  receipt.paymentMethod = "wechat";
  receipt.createdAt = "2024-05-01T08:30:00+08:00";
  credited.receipt = receipt;
  h.api.orderScript = {credited};
  h.advance(2s);
  ASSERT_EQ(h.vm().step(), Step::Done);
  EXPECT_TRUE(h.api.receiptCalls.empty());  // nothing to fetch
  ASSERT_EQ(h.printer.printed.size(), 1U);
  EXPECT_TRUE(testing::docContains(h.printer.printed[0], "9"));
  EXPECT_TRUE(testing::docContains(h.printer.printed[0], "O1"));
  EXPECT_TRUE(testing::docContains(h.printer.printed[0], "2024-05-01 08:30:00"));
}

TEST(RechargeViewModel, CountdownNeverOutlastsTheProviderExpiry) {
  RechargeHarness h;
  auto pending = testing::order(OrderState::Pending);
  pending.expiresInS = 90;
  h.api.createResult = pending;
  h.payPreset(10000);
  EXPECT_EQ(h.vm().secondsLeft(h.clock), 90);
}

TEST(RechargeViewModel, PaidButMeterSilentBecomesCreditPendingWithAPendingReceipt) {
  RechargeHarness h;
  h.payPreset(10000);
  h.api.orderScript = {testing::order(OrderState::Crediting)};
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Crediting);
  h.advance(30s);
  EXPECT_EQ(h.vm().step(), Step::Crediting);
  h.advance(31s);
  EXPECT_EQ(h.vm().step(), Step::CreditPending);
  EXPECT_EQ(h.vm().message().key, "recharge.credit_pending");
  ASSERT_EQ(h.printer.printed.size(), 1U);
  EXPECT_TRUE(testing::docContains(h.printer.printed[0], "credit pending"));
}

TEST(RechargeViewModel, CountdownEndsInTimeoutAndCancelsTheOrder) {
  RechargeHarness h;
  h.payPreset(10000);
  for (int i = 0; i < 95; ++i) {
    h.advance(2s);
    h.session.onInput(h.clock);
  }
  EXPECT_EQ(h.vm().step(), Step::Failed);
  EXPECT_EQ(h.vm().message().key, "recharge.error.timeout");
  EXPECT_EQ(h.api.cancelCalls, (std::vector<std::string>{"O1"}));
  EXPECT_TRUE(h.printer.printed.empty());
}

TEST(RechargeViewModel, PaymentSlippingInAtTheDeadlineIsNotLost) {
  RechargeHarness h;
  h.payPreset(10000);
  h.api.cancelResult = testing::order(OrderState::Paid);
  h.advance(181s);
  EXPECT_EQ(h.vm().step(), Step::Crediting);
}

TEST(RechargeViewModel, FailedPaymentIsExplained) {
  RechargeHarness h;
  h.payPreset(10000);
  h.api.orderScript = {testing::order(OrderState::Failed)};
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Failed);
  EXPECT_EQ(h.vm().message().key, "recharge.error.payment_failed");
}

TEST(RechargeViewModel, CapRefusedByTheBackendIsExplained) {
  RechargeHarness h;
  h.api.createResult = std::unexpected(testing::apiError(api::ErrorCode::AboveHoardingCap, 409));
  h.payPreset(10000);
  EXPECT_EQ(h.vm().step(), Step::Failed);
  EXPECT_EQ(h.vm().message().key, "recharge.error.cap");
}

TEST(RechargeViewModel, OfflineCreateSaysSo) {
  RechargeHarness h;
  h.api.offline = true;
  h.payPreset(10000);
  EXPECT_EQ(h.vm().step(), Step::Failed);
  EXPECT_EQ(h.vm().message().key, "recharge.error.offline");
  EXPECT_FALSE(h.session.online());
}

TEST(RechargeViewModel, OutOfPaperWarnsBeforeMoneyMoves) {
  RechargeHarness h;
  h.printer.paper = devices::PaperStatus::Out;
  h.payPreset(10000);
  EXPECT_EQ(h.vm().step(), Step::PaperWarning);
  EXPECT_EQ(h.vm().message().key, "recharge.paper_out");
  EXPECT_TRUE(h.api.createCalls.empty());
  h.vm().continueWithoutReceipt();
  h.runner.settle();
  EXPECT_EQ(h.api.createCalls.size(), 1U);
  h.api.orderScript = {testing::order(OrderState::Credited)};
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Done);
  EXPECT_TRUE(h.printer.printed.empty());
}

TEST(RechargeViewModel, ScannedPaymentCodeIsSubmitted) {
  RechargeHarness h;
  h.vm().setChannel(PaymentChannel::Code);
  h.payPreset(10000);
  EXPECT_EQ(h.api.createCalls[0].channel, PaymentChannel::Code);
  EXPECT_EQ(h.vm().message().key, "recharge.show_code");
  h.session.codeScanned("134567890123456789");
  h.runner.settle();
  EXPECT_EQ(h.api.codes, (std::vector<std::string>{"134567890123456789"}));
  EXPECT_EQ(h.vm().step(), Step::Crediting);
}

TEST(RechargeViewModel, LeavingWhileWaitingCancelsTheOrder) {
  RechargeHarness h;
  h.payPreset(10000);
  h.session.navigate(Screen::Account);
  h.runner.settle();
  EXPECT_EQ(h.api.cancelCalls, (std::vector<std::string>{"O1"}));
}

TEST(RechargeViewModel, SessionTimesOutTenSecondsAfterAFinishedRecharge) {
  RechargeHarness h;
  h.payPreset(10000);
  h.api.orderScript = {testing::order(OrderState::Credited)};
  h.advance(2s);
  ASSERT_EQ(h.vm().step(), Step::Done);
  h.session.onInput(h.clock);
  h.advance(9s);
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  h.advance(2s);
  EXPECT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_FALSE(h.session.hasTenant());
}

TEST(RechargeViewModel, NoIdleTimeoutWhileWaitingForPayment) {
  RechargeHarness h;
  h.payPreset(10000);
  for (int i = 0; i < 40; ++i) {
    h.advance(2s);  // 80 s without input, beyond the 60 s idle timeout
  }
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  EXPECT_EQ(h.vm().step(), Step::Waiting);
}

TEST(RechargeViewModel, UnknownPaperStatusPaysWithoutTheWarning) {
  // A file: printer, a one-way USB printer or one that never answers DLE EOT.
  RechargeHarness h;
  std::vector<std::string> logged;
  h.session.context().log = [&](const std::string& line) { logged.push_back(line); };
  h.printer.paper = devices::PaperStatus::Unknown;
  h.payPreset(10000);
  EXPECT_EQ(h.vm().step(), Step::Waiting);
  EXPECT_EQ(h.api.createCalls.size(), 1U);
  EXPECT_NE(h.vm().message().key, "recharge.paper_out");
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_NE(logged[0].find("paper status unknown"), std::string::npos);
  // The receipt is still attempted.
  h.api.orderScript = {testing::order(OrderState::Credited)};
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Done);
  EXPECT_EQ(h.printer.printed.size(), 1U);
}

TEST(RechargeViewModel, PaperQueryErrorIsUnknownNotOut) {
  RechargeHarness h;
  h.printer.paperError =
      devices::PrinterError{devices::PrinterErrorCode::OpenFailed, "no such device"};
  h.payPreset(10000);
  EXPECT_EQ(h.vm().step(), Step::Waiting);
  EXPECT_EQ(h.api.createCalls.size(), 1U);
}

TEST(RechargeViewModel, UnconfirmedCancelSaysSoAndFollowsTheOrder) {
  RechargeHarness h;
  h.payPreset(10000);
  h.api.cancelOffline = true;
  h.api.offline = true;  // the order polls fail too
  h.advance(181s);
  EXPECT_EQ(h.vm().step(), Step::Failed);
  EXPECT_EQ(h.vm().message().key, "recharge.error.timeout_unconfirmed");
  EXPECT_TRUE(h.vm().confirming());
  ASSERT_TRUE(h.vm().nextDue());  // still followed in the background
  // Back online: the order is still open, so the cancel is sent again and confirmed.
  h.api.offline = false;
  h.api.cancelOffline = false;
  h.api.orderScript = {testing::order(OrderState::Pending)};
  h.advance(2s);
  EXPECT_EQ(h.api.cancelCalls.size(), 2U);
  EXPECT_EQ(h.vm().step(), Step::Failed);
  EXPECT_EQ(h.vm().message().key, "recharge.error.timeout");
  EXPECT_FALSE(h.vm().confirming());
  EXPECT_FALSE(h.vm().nextDue());
}

TEST(RechargeViewModel, UnconfirmedCancelThatTurnsOutPaidIsCredited) {
  RechargeHarness h;
  h.payPreset(10000);
  h.api.cancelOffline = true;
  h.advance(181s);
  ASSERT_EQ(h.vm().message().key, "recharge.error.timeout_unconfirmed");
  // The customer's late payment got in: the follow-up poll sees it and the flow continues.
  h.api.orderScript = {testing::order(OrderState::Paid), testing::order(OrderState::Credited)};
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Crediting);
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Done);
  EXPECT_EQ(h.printer.printed.size(), 1U);
}

TEST(RechargeViewModel, PaymentRevealedByTheTimeoutCancelIsPolledToDone) {
  RechargeHarness h;
  h.payPreset(10000);
  h.api.cancelResult = testing::order(OrderState::Paid);
  h.advance(181s);
  ASSERT_EQ(h.vm().step(), Step::Crediting);
  h.api.orderScript = {testing::order(OrderState::Credited)};
  h.advance(2s);
  EXPECT_EQ(h.vm().step(), Step::Done);  // not left to the 60 s credit-pending fallback
}

TEST(RechargeViewModel, NextDueSkipsAPollWhoseAnswerIsOut) {
  RechargeHarness h;
  h.payPreset(10000);
  ASSERT_EQ(h.vm().step(), Step::Waiting);
  const auto deadline = h.clock + 180s;
  h.clock += 2s;
  h.session.tick(h.clock);  // queues a poll; its answer has not come back
  ASSERT_EQ(h.runner.queued(), 1U);
  const auto due = h.vm().nextDue();
  ASSERT_TRUE(due);
  EXPECT_EQ(*due, deadline);  // only the countdown's end, not the poll time now in the past
  h.runner.settle();
  ASSERT_TRUE(h.vm().nextDue());
  EXPECT_EQ(*h.vm().nextDue(), h.clock + RechargeViewModel::PollInterval);
}

TEST(RechargeViewModel, InvalidUtf8PaymentCodeIsRefusedClearly) {
  RechargeHarness h;
  h.vm().setChannel(PaymentChannel::Code);
  h.payPreset(10000);
  h.session.codeScanned(std::string("\xB3\xE4\xD6\xB5", 4));  // GBK, not UTF-8
  h.runner.settle();
  EXPECT_TRUE(h.api.codes.empty());
  EXPECT_EQ(h.vm().message().key, "scan.unreadable");
  EXPECT_EQ(h.vm().step(), Step::Waiting);
}

TEST(RechargeViewModel, PendingReceiptUsesTheBackendSiteName) {
  RechargeHarness h;
  api::RechargeView earlier;
  earlier.entryId = 42;
  h.session.context().tenant.recharges = {earlier};
  api::Receipt receipt;
  receipt.siteName = "演示商场 Demo Mall";
  h.api.receiptResult = receipt;
  h.payPreset(10000);
  h.api.orderScript = {testing::order(OrderState::Crediting)};
  h.advance(2s);
  h.advance(61s);
  ASSERT_EQ(h.vm().step(), Step::CreditPending);
  ASSERT_EQ(h.printer.printed.size(), 1U);
  EXPECT_TRUE(testing::docContains(h.printer.printed[0], "演示商场 Demo Mall"));
  EXPECT_EQ(h.api.receiptCalls, (std::vector<std::int64_t>{42}));
  EXPECT_EQ(h.session.context().backendSiteName, "演示商场 Demo Mall");
}

TEST(RechargeViewModel, UnconfirmedOrderIsFollowedAfterTheTenantLeaves) {
  RechargeHarness h;
  h.payPreset(10000);
  h.api.cancelOffline = true;
  h.api.offline = true;
  h.advance(181s);
  ASSERT_TRUE(h.vm().confirming());
  h.advance(11s);  // the finished screen's 10 s: back to attract, the flow is reset
  ASSERT_EQ(h.session.screen(), Screen::Attract);
  EXPECT_EQ(h.vm().backgroundOrders(), 1U);
  ASSERT_TRUE(h.vm().backgroundDue());
  EXPECT_LE(h.session.nextWake(h.clock), *h.vm().backgroundDue());
  // Still unreachable: kept. Back online and still open: cancelled again, then dropped.
  h.advance(6s);
  EXPECT_EQ(h.vm().backgroundOrders(), 1U);
  h.api.offline = false;
  h.api.cancelOffline = false;
  h.api.orderScript = {testing::order(OrderState::Pending)};
  const auto cancelsBefore = h.api.cancelCalls.size();
  h.advance(6s);
  EXPECT_EQ(h.api.cancelCalls.size(), cancelsBefore + 1);
  EXPECT_EQ(h.vm().backgroundOrders(), 0U);
  EXPECT_FALSE(h.vm().backgroundDue());
}

}  // namespace
}  // namespace prepaid::kiosk
