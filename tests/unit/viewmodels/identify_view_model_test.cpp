#include "prepaid/viewmodels/identify_view_model.hpp"

#include "fakes.hpp"
#include <gtest/gtest.h>

namespace prepaid::kiosk {
namespace {

using testing::Harness;

TEST(IdentifyViewModel, ShopNumberLeadsToTheAccount) {
  Harness h;
  h.identifyShop("A101");
  ASSERT_EQ(h.api.identifyCalls.size(), 1U);
  EXPECT_EQ(h.api.identifyCalls[0].shopNumber, "A101");
  EXPECT_FALSE(h.api.identifyCalls[0].pin);
  EXPECT_EQ(h.session.screen(), Screen::Account);
  EXPECT_TRUE(h.session.hasTenant());
}

TEST(IdentifyViewModel, KeypadRefusesWhatCannotBeInAShopNumberAndLimitsLength) {
  Harness h;
  h.session.startIdentify();
  auto& vm = h.session.identify();
  vm.key('a');
  vm.key('#');
  EXPECT_EQ(vm.entry(), "");
  EXPECT_FALSE(vm.canSubmit());
  for (int i = 0; i < 40; ++i) {
    vm.key('1');
  }
  EXPECT_EQ(vm.entry().size(), IdentifyViewModel::MaxShopNumberLength);
  vm.backspace();
  EXPECT_EQ(vm.entry().size(), IdentifyViewModel::MaxShopNumberLength - 1);
  vm.clear();
  EXPECT_EQ(vm.entry(), "");
}

TEST(IdentifyViewModel, UnknownShopIsExplainedAndStays) {
  Harness h;
  h.api.identifyResult = std::unexpected(testing::apiError(api::ErrorCode::UnknownShop, 404));
  h.identifyShop("999");
  EXPECT_EQ(h.session.screen(), Screen::Identify);
  EXPECT_EQ(h.session.identify().message().key, "identify.unknown_shop");
  EXPECT_FALSE(h.session.identify().busy());
}

TEST(IdentifyViewModel, PinRequiredAsksForThePinThenSendsIt) {
  Harness h;
  h.api.identifyResult = testing::account(false, true);
  h.identifyShop("A101");
  auto& vm = h.session.identify();
  EXPECT_EQ(vm.step(), IdentifyViewModel::Step::Pin);
  EXPECT_EQ(vm.message().key, "identify.enter_pin");
  for (char c : std::string("1234")) {
    vm.key(c);
  }
  EXPECT_EQ(vm.display(), "●●●●");
  h.api.identifyResult = testing::account(true, true);
  vm.submit();
  h.runner.settle();
  ASSERT_EQ(h.api.identifyCalls.size(), 2U);
  EXPECT_EQ(h.api.identifyCalls[1].pin, "1234");
  EXPECT_EQ(h.session.screen(), Screen::Account);
}

TEST(IdentifyViewModel, WrongPinClearsTheEntry) {
  Harness h;
  h.api.identifyResult = testing::account(false, true);
  h.identifyShop("A101");
  auto& vm = h.session.identify();
  for (char c : std::string("0000")) {
    vm.key(c);
  }
  h.api.identifyResult = std::unexpected(testing::apiError(api::ErrorCode::InvalidPin, 401));
  vm.submit();
  h.runner.settle();
  EXPECT_EQ(vm.message().key, "identify.wrong_pin");
  EXPECT_EQ(vm.entry(), "");
  EXPECT_EQ(vm.step(), IdentifyViewModel::Step::Pin);
}

TEST(IdentifyViewModel, SkippingThePinAllowsPayingOnly) {
  Harness h;
  h.api.identifyResult = testing::account(false, true);
  h.identifyShop("A101");
  h.session.identify().skipPin();
  EXPECT_EQ(h.session.screen(), Screen::Recharge);
  EXPECT_FALSE(h.session.personal());
}

TEST(IdentifyViewModel, ScannedCardIdentifiesByToken) {
  Harness h;
  h.session.codeScanned("CARDTOKEN0123456789");
  h.runner.settle();
  ASSERT_EQ(h.api.identifyCalls.size(), 1U);
  EXPECT_EQ(h.api.identifyCalls[0].cardToken, "CARDTOKEN0123456789");
  EXPECT_EQ(h.session.screen(), Screen::Account);
}

TEST(IdentifyViewModel, OfflineSaysSoAndRaisesTheBanner) {
  Harness h;
  h.api.offline = true;
  h.identifyShop("A101");
  EXPECT_EQ(h.session.identify().message().key, "error.offline");
  EXPECT_FALSE(h.session.online());
}

}  // namespace
}  // namespace prepaid::kiosk
