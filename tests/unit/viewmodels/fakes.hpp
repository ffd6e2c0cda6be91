#pragma once

// A scripted ApiClient, a recording printer and a settable clock for view-model tests.

#include <deque>
#include <map>
#include <stdexcept>

#include "prepaid/client/api_client.hpp"
#include "prepaid/printer/receipt_printer.hpp"
#include "prepaid/viewmodels/kiosk_session.hpp"

namespace prepaid::kiosk::testing {

inline ClientError offlineError() {
  return ClientError{ClientErrorKind::Network, std::nullopt, 0, "connection refused"};
}
inline ClientError apiError(api::ErrorCode code, int status) {
  return ClientError{ClientErrorKind::Api, code, status, "x"};
}

inline api::MeterView meter(std::int64_t id, std::int64_t balanceFen, bool personal = true) {
  api::MeterView m;
  m.meterId = id;
  m.serial = "MTR" + std::to_string(id);
  m.medium = "electricity";
  m.personal = personal;
  m.balanceFen = personal ? balanceFen : 0;
  m.status = api::MeterStatusCode::Normal;
  m.hoardingCapFen = 200000;
  m.lastReadingAt = "2024-05-01T08:30:00+08:00";
  m.todayEnergyCentiKwh = 1234;
  m.daysLeftState = api::DaysLeftState::Known;
  m.daysLeft = 12;
  return m;
}

inline api::AccountView account(bool personal = true, bool pinRequired = false) {
  api::AccountView a;
  a.accountId = 7;
  a.shopNumber = "A101";
  a.tenantName = "张*";
  a.pinRequired = pinRequired;
  a.personal = personal;
  a.tenantToken = personal ? "tenant-token" : "";
  a.meters = {meter(11, 5000, personal)};
  return a;
}

inline Order order(OrderState state, std::int64_t amountFen = 10000) {
  Order o;
  o.orderNo = "O1";
  o.meterId = 11;
  o.amountFen = amountFen;
  o.provider = "wechat";
  o.state = state;
  o.qrCode = "weixin://wxpay/bizpayurl?pr=O1";
  if (state == OrderState::Credited) {
    o.balanceAfterFen = 15000;
    o.ledgerEntryId = 99;
  }
  return o;
}

class FakeApi final : public ApiClient {
 public:
  void configure(const ClientConfig& c) override { cfg = c; }
  ClientConfig config() const override { return cfg; }
  std::expected<HealthResult, ClientError> health() override {
    ++healthCalls;
    if (offline) {
      return std::unexpected(offlineError());
    }
    return HealthResult{api::Health{"ok", "0.1.0", "v1", 1, ""}, std::chrono::milliseconds(3)};
  }
  std::expected<api::AccountView, ClientError> identify(const IdentifyRequest& r) override {
    identifyCalls.push_back(r);
    if (throwOnIdentify) {
      // What nlohmann::json::dump does with bytes that are not UTF-8.
      throw std::runtime_error("[json.exception.type_error.316] invalid UTF-8 byte");
    }
    if (offline) {
      return std::unexpected(offlineError());
    }
    return identifyResult;
  }
  std::expected<api::AccountView, ClientError> account(std::int64_t,
                                                       const std::string& token) override {
    lastToken = token;
    ++accountCalls;
    if (offline) {
      return std::unexpected(offlineError());
    }
    return accountResult;
  }
  std::expected<api::UsageSeries, ClientError> usage(std::int64_t, std::int64_t meterId,
                                                     Granularity g, const std::string&) override {
    usageCalls.emplace_back(meterId, g);
    if (offline) {
      return std::unexpected(offlineError());
    }
    return usageResult;
  }
  std::expected<std::vector<api::AlarmView>, ClientError> alarms(std::int64_t,
                                                                 const std::string&) override {
    if (offline) {
      return std::unexpected(offlineError());
    }
    return alarmsResult;
  }
  std::expected<std::vector<api::RechargeView>, ClientError> recharges(
      std::int64_t, const std::string&) override {
    if (offline) {
      return std::unexpected(offlineError());
    }
    return rechargesResult;
  }
  std::expected<api::Receipt, ClientError> receipt(std::int64_t, std::int64_t entryId,
                                                   const std::string&) override {
    receiptCalls.push_back(entryId);
    if (offline) {
      return std::unexpected(offlineError());
    }
    return receiptResult;
  }
  std::expected<Order, ClientError> createOrder(const CreateOrderRequest& r) override {
    createCalls.push_back(r);
    if (offline) {
      return std::unexpected(offlineError());
    }
    return createResult;
  }
  std::expected<Order, ClientError> order(const std::string&) override {
    ++orderCalls;
    if (offline) {
      return std::unexpected(offlineError());
    }
    if (!orderScript.empty()) {
      auto next = orderScript.front();
      if (orderScript.size() > 1) {
        orderScript.pop_front();
      }
      return next;
    }
    return createResult;
  }
  std::expected<Order, ClientError> cancelOrder(const std::string& no) override {
    cancelCalls.push_back(no);
    if (cancelOffline) {
      return std::unexpected(offlineError());
    }
    return cancelResult;
  }
  std::expected<Order, ClientError> submitPaymentCode(const std::string&,
                                                      const std::string& code) override {
    codes.push_back(code);
    return codeResult;
  }
  std::expected<void, ClientError> markReceipted(const std::string& no) override {
    receipted.push_back(no);
    return {};
  }
  std::expected<StaffSession, ClientError> staffLogin(const std::string& user,
                                                      const std::string& password) override {
    if (user == "admin" && password == "secret1") {
      return StaffSession{"staff-token", user, 600};
    }
    return std::unexpected(apiError(api::ErrorCode::InvalidCredentials, 401));
  }
  std::expected<void, ClientError> audit(const std::string& token, const std::string& action,
                                         const std::string&) override {
    audits.push_back(token + " " + action);
    if (auditOffline) {
      return std::unexpected(offlineError());
    }
    return {};
  }

  ClientConfig cfg;
  bool offline = false;
  bool throwOnIdentify = false;
  bool auditOffline = false;   // only the audit route is unreachable
  bool cancelOffline = false;  // only the cancel route is unreachable
  int healthCalls = 0;
  int accountCalls = 0;
  int orderCalls = 0;
  std::string lastToken;
  std::vector<IdentifyRequest> identifyCalls;
  std::expected<api::AccountView, ClientError> identifyResult = testing::account();
  std::expected<api::AccountView, ClientError> accountResult = testing::account();
  std::expected<api::UsageSeries, ClientError> usageResult = api::UsageSeries{};
  std::vector<std::pair<std::int64_t, Granularity>> usageCalls;
  std::vector<api::AlarmView> alarmsResult;
  std::vector<api::RechargeView> rechargesResult;
  std::expected<api::Receipt, ClientError> receiptResult = api::Receipt{};
  std::vector<std::int64_t> receiptCalls;
  std::vector<CreateOrderRequest> createCalls;
  std::expected<Order, ClientError> createResult = testing::order(OrderState::Pending);
  std::deque<std::expected<Order, ClientError>> orderScript;
  std::vector<std::string> cancelCalls;
  std::expected<Order, ClientError> cancelResult = testing::order(OrderState::Closed);
  std::vector<std::string> codes;
  std::expected<Order, ClientError> codeResult = testing::order(OrderState::Paid);
  std::vector<std::string> receipted;
  std::vector<std::string> audits;
};

class FakePrinter final : public devices::ReceiptPrinter {
 public:
  std::expected<void, devices::PrinterError> print(const devices::ReceiptDocument& doc) override {
    printed.push_back(doc);
    return {};
  }
  std::expected<devices::PaperStatus, devices::PrinterError> paperStatus() override {
    if (paperError) {
      return std::unexpected(*paperError);
    }
    return paper;
  }
  std::string describe() const override { return "fake"; }
  std::size_t columns() const override { return 32; }
  std::vector<devices::ReceiptDocument> printed;
  devices::PaperStatus paper = devices::PaperStatus::Ok;
  std::optional<devices::PrinterError> paperError;
};

inline bool docContains(const devices::ReceiptDocument& doc, std::string_view needle) {
  for (const auto& line : doc.lines) {
    if (line.text.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

/// A session on fakes with a settable clock.
struct Harness {
  FakeApi api;
  ManualRunner runner;
  FakePrinter printer;
  SteadyTime clock = SteadyTime{} + std::chrono::hours(1);
  KioskSession session{api, runner, &printer, KioskSettings{}};
  Harness() {
    session.context().now = [this] { return clock; };
    session.context().wallTimeText = [] { return std::string("2024-05-01 08:30:00"); };
    session.onInput(clock);
  }
  void advance(std::chrono::milliseconds by) {
    clock += by;
    session.tick(clock);
    runner.settle();
  }
  void identifyShop(const std::string& shop) {
    session.startIdentify();
    for (char c : shop) {
      session.identify().key(c);
    }
    session.identify().submit();
    runner.settle();
  }
};

}  // namespace prepaid::kiosk::testing
