#include "prepaid/meter/recharge_exactly_once.hpp"

#include <filesystem>
#include <random>

#include "fake_modbus_peer.hpp"
#include <gtest/gtest.h>

#include "prepaid/meter/modbus_meter.hpp"

namespace prepaid::devices {
namespace {

using testing::FakeModbusPeer;
using testing::PeerAction;
using testing::ScriptStep;

const MacKey Key = *parseMacKey("000102030405060708090a0b0c0d0e0f");

RechargeCommand signedRecharge(std::uint64_t address, std::int64_t fen, std::uint32_t count,
                               const MacKey& key = Key) {
  RechargeCommand command{domain::Money::fromFen(fen), count, 1'700'000'000, {}};
  command.mac =
      *computeCommandMac(MacAlgorithm::AesCmac, key, *rechargeMacFields(address, command));
  return command;
}

// --- Against the real driver and a meter on the wire --------------------------------------

class RechargeExactlyOnceWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::emulatePrepaidMeter(peer, Key, 3);
    peer.setRegister(0x0101, 1000);  // balance 10.00 yuan
    peer.setRegister(0x0103, 4);     // purchase count 4
    auto profile = loadMeterProfileByName(
        std::filesystem::path(PREPAID_SOURCE_DIR) / "assets/meters", "single-phase-prepaid");
    ASSERT_TRUE(profile.has_value());
    BusTiming timing;
    timing.responseTimeoutMs = 120;
    timing.byteTimeoutMs = 40;
    timing.quietMs = 30;
    timing.retries = 0;
    meter = std::make_unique<ModbusMeter>(
        std::make_shared<RtuStreamTransport>(makeTcpStream("127.0.0.1", peer.port(), 500), timing),
        3, *profile);
  }
  std::int64_t balanceFen() { return (std::int64_t{peer.reg(0x0100)} << 16) | peer.reg(0x0101); }

  FakeModbusPeer peer{3};
  std::unique_ptr<ModbusMeter> meter;
};

TEST_F(RechargeExactlyOnceWireTest, CleanRecharge) {
  const auto outcome = rechargeExactlyOnce(*meter, signedRecharge(3, 5000, 5));
  ASSERT_TRUE(outcome.has_value()) << describe(outcome.error());
  EXPECT_EQ(*outcome, RechargeOutcome::Applied);
  EXPECT_EQ(balanceFen(), 6000);
  EXPECT_EQ(meter->readPurchaseCount().value(), 5U);
}

TEST_F(RechargeExactlyOnceWireTest, ReplyLostAfterApplyingIsNotSentAgain) {
  // read count, write (applied, reply lost), read count back
  peer.script({{PeerAction::Good}, {PeerAction::ApplyNoReply}});
  const auto outcome = rechargeExactlyOnce(*meter, signedRecharge(3, 5000, 5));
  ASSERT_TRUE(outcome.has_value()) << describe(outcome.error());
  EXPECT_EQ(*outcome, RechargeOutcome::Applied);
  EXPECT_EQ(peer.writesApplied(), 1);
  EXPECT_EQ(balanceFen(), 6000);
  // The caller retries the same order later: recognised, nothing sent.
  const int requests = peer.requestsSeen();
  EXPECT_EQ(rechargeExactlyOnce(*meter, signedRecharge(3, 5000, 5)).value(),
            RechargeOutcome::AlreadyApplied);
  EXPECT_EQ(peer.requestsSeen(), requests + 1);  // just the count read
  EXPECT_EQ(balanceFen(), 6000);
}

TEST_F(RechargeExactlyOnceWireTest, RequestLostIsSentAgainOnce) {
  peer.script({{PeerAction::Good}, {PeerAction::NoReply}});
  const auto outcome = rechargeExactlyOnce(*meter, signedRecharge(3, 5000, 5));
  ASSERT_TRUE(outcome.has_value()) << describe(outcome.error());
  EXPECT_EQ(*outcome, RechargeOutcome::Applied);
  EXPECT_EQ(peer.writesApplied(), 1);
  EXPECT_EQ(balanceFen(), 6000);
}

TEST_F(RechargeExactlyOnceWireTest, UnreadableCountAfterALostReplyIsOutcomeUnknown) {
  peer.script({{PeerAction::Good},
               {PeerAction::ApplyNoReply},
               {PeerAction::NoReply},
               {PeerAction::NoReply},
               {PeerAction::NoReply}});
  const auto outcome = rechargeExactlyOnce(*meter, signedRecharge(3, 5000, 5));
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().kind, DeviceErrorKind::OutcomeUnknown);
  EXPECT_EQ(balanceFen(), 6000);
  EXPECT_EQ(rechargeExactlyOnce(*meter, signedRecharge(3, 5000, 5)).value(),
            RechargeOutcome::AlreadyApplied);
  EXPECT_EQ(peer.writesApplied(), 1);
}

TEST_F(RechargeExactlyOnceWireTest, CountMismatchSendsNothing) {
  peer.setRegister(0x0103, 7);
  const auto outcome = rechargeExactlyOnce(*meter, signedRecharge(3, 5000, 5));
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().kind, DeviceErrorKind::Rejected);
  EXPECT_EQ(outcome.error().rejectReason, RejectReason::PurchaseCountNotNext);
  EXPECT_EQ(peer.writesApplied(), 0);
}

TEST_F(RechargeExactlyOnceWireTest, BadMacIsRejectedByTheMeter) {
  auto wrongKey = Key;
  wrongKey[0] ^= 1;
  const auto outcome = rechargeExactlyOnce(*meter, signedRecharge(3, 5000, 5, wrongKey));
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().kind, DeviceErrorKind::Rejected);
  EXPECT_EQ(outcome.error().rejectReason, RejectReason::BadMac);
  EXPECT_EQ(balanceFen(), 1000);
}

// --- Property: any pattern of lost messages credits at most once, and a retry completes -----

class LossyMeter final : public Meter {
 public:
  explicit LossyMeter(std::uint32_t seed) : m_random(seed) {}

  std::expected<MeterSnapshot, DeviceError> readSnapshot() override { return MeterSnapshot{}; }
  std::expected<std::uint32_t, DeviceError> readPurchaseCount() override {
    if (lose()) {
      return std::unexpected(makeError(DeviceErrorKind::Timeout, "lost"));
    }
    return count;
  }
  std::expected<void, DeviceError> recharge(const RechargeCommand& command) override {
    if (lose()) {  // request lost: nothing applied
      return std::unexpected(unknown());
    }
    if (command.purchaseCount != count + 1) {
      DeviceError error = makeError(DeviceErrorKind::Rejected, "count");
      error.rejectReason = RejectReason::PurchaseCountNotNext;
      return std::unexpected(error);
    }
    count = command.purchaseCount;
    balanceFen += command.amount.fen();
    ++credits;
    if (lose()) {  // reply lost after applying
      return std::unexpected(unknown());
    }
    return {};
  }
  std::expected<void, DeviceError> setPrices(const TouPrices&) override { return {}; }
  std::expected<void, DeviceError> setThresholds(const Thresholds&) override { return {}; }
  std::expected<void, DeviceError> control(const ControlCommand&) override { return {}; }
  std::uint64_t macAddress() const override { return 1; }
  MacAlgorithm macAlgorithm() const override { return MacAlgorithm::AesCmac; }

  std::uint32_t count = 10;
  std::int64_t balanceFen = 0;
  int credits = 0;
  double lossRate = 0.4;

 private:
  bool lose() { return std::uniform_real_distribution<double>(0, 1)(m_random) < lossRate; }
  static DeviceError unknown() {
    DeviceError error = makeError(DeviceErrorKind::OutcomeUnknown, "lost");
    error.cause = DeviceErrorKind::Timeout;
    return error;
  }
  std::mt19937 m_random;
};

TEST(RechargeExactlyOnceProperty, NeverCreditsTwiceAndEventuallyCreditsOnce) {
  for (std::uint32_t seed = 1; seed <= 500; ++seed) {
    LossyMeter meter(seed);
    const RechargeCommand command{domain::Money::fromFen(700), 11, 0, {}};
    bool done = false;
    for (int call = 0; call < 50 && !done; ++call) {
      const auto outcome = rechargeExactlyOnce(meter, command);
      ASSERT_LE(meter.credits, 1) << "seed " << seed;
      if (outcome) {
        done = true;
      } else {
        ASSERT_NE(outcome.error().kind, DeviceErrorKind::Rejected) << "seed " << seed;
      }
    }
    ASSERT_TRUE(done) << "seed " << seed;
    EXPECT_EQ(meter.credits, 1) << "seed " << seed;
    EXPECT_EQ(meter.balanceFen, 700) << "seed " << seed;
    EXPECT_EQ(meter.count, 11U);
  }
}

}  // namespace
}  // namespace prepaid::devices
