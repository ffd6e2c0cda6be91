#include <gtest/gtest.h>

#include "prepaid/domain/billing_mode.hpp"
#include "prepaid/domain/ledger.hpp"
#include "prepaid/domain/rate.hpp"
#include "prepaid/domain/relay_state.hpp"
#include "prepaid/domain/trip_policy.hpp"

namespace prepaid::domain {
namespace {

TEST(EnumNames, EntryKindNamesRoundTrip) {
  const std::pair<EntryKind, std::string_view> expected[] = {
      {EntryKind::Recharge, "recharge"},        {EntryKind::Refund, "refund"},
      {EntryKind::Correction, "correction"},    {EntryKind::Charge, "charge"},
      {EntryKind::Allocation, "allocation"},    {EntryKind::TransferIn, "transfer_in"},
      {EntryKind::TransferOut, "transfer_out"}, {EntryKind::CloseSettlement, "close_settlement"},
  };
  for (const auto& [kind, name] : expected) {
    EXPECT_EQ(toString(kind), name);
    EXPECT_EQ(parseEntryKind(name), kind);
  }
  EXPECT_EQ(parseEntryKind("Recharge"), std::nullopt);
  EXPECT_EQ(parseEntryKind(""), std::nullopt);
  EXPECT_EQ(parseEntryKind("transfer"), std::nullopt);
}

TEST(EnumNames, RateNamesRoundTrip) {
  EXPECT_EQ(toString(Rate::Sharp), "sharp");
  EXPECT_EQ(toString(Rate::Peak), "peak");
  EXPECT_EQ(toString(Rate::Flat), "flat");
  EXPECT_EQ(toString(Rate::Valley), "valley");
  for (const auto rate : AllRates) {
    EXPECT_EQ(parseRate(toString(rate)), rate);
  }
  EXPECT_EQ(parseRate("off_peak"), std::nullopt);
  EXPECT_EQ(indexOf(Rate::Valley), 3U);
}

TEST(EnumNames, ControlEnumNamesRoundTrip) {
  for (const auto mode : {BillingMode::MeterSide, BillingMode::ServerSide}) {
    EXPECT_EQ(parseBillingMode(toString(mode)), mode);
  }
  EXPECT_EQ(toString(BillingMode::ServerSide), "server_side");
  for (const auto kind :
       {TripPolicyKind::Immediate, TripPolicyKind::Never, TripPolicyKind::Delayed}) {
    EXPECT_EQ(parseTripPolicyKind(toString(kind)), kind);
  }
  EXPECT_EQ(toString(TripPolicyKind::Delayed), "delayed");
  EXPECT_EQ(parseRelayState("open"), RelayState::Open);
  EXPECT_EQ(parseRelayState("closed"), RelayState::Closed);
  EXPECT_EQ(parseRelayState("tripped"), std::nullopt);
}

}  // namespace
}  // namespace prepaid::domain
