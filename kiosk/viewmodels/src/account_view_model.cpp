#include "prepaid/viewmodels/account_view_model.hpp"

namespace prepaid::kiosk {

namespace {

Message daysLeftMessage(const api::MeterView& meter) {
  switch (meter.daysLeftState) {
    case api::DaysLeftState::Known:
      return {"account.days_left", {std::to_string(meter.daysLeft.value_or(0))}};
    case api::DaysLeftState::NotEnoughHistory:
      return {"account.days_left_unknown", {}};
    case api::DaysLeftState::NoRecentUse:
      // Water meters have no electricity use to speak of.
      return {
          meter.medium == "water" ? "account.days_left_no_use_water" : "account.days_left_no_use",
          {}};
    case api::DaysLeftState::NoPrice:
      return {"account.days_left_unknown", {}};
  }
  return {};
}

}  // namespace

std::string PaymentMethodNames::name(std::string_view method) const {
  if (const auto it = byMethod.find(method); it != byMethod.end()) {
    return it->second;
  }
  return printableText(method);
}

PaymentMethodNames paymentMethodNames(const SessionContext& context) {
  PaymentMethodNames names;
  if (!context.translate) {
    return names;
  }
  for (const std::string method : {"wechat", "alipay", "cash"}) {
    const Message message{"payment.method." + method, {}};
    const auto zh = context.translate(Language::ZhCn, message);
    const auto en = context.translate(Language::En, message);
    if (zh == message.key || en == message.key) {
      continue;  // not in the catalogue: the code itself says more than the key
    }
    // Receipts carry both languages (like their fixed labels), whatever the screen shows.
    names.byMethod.emplace(method, zh == en ? zh : zh + " " + en);
  }
  return names;
}

devices::ReceiptData receiptData(const api::Receipt& receipt, devices::ReceiptCopy copy,
                                 const PaymentMethodNames& methods) {
  devices::ReceiptData data;
  data.siteName = receipt.siteName;
  data.shopNumber = receipt.shopNumber;
  data.meterSerial = receipt.meterSerial;
  data.amountFen = receipt.amountFen;
  data.balanceAfterFen = receipt.balanceAfterFen;
  data.purchaseCount = receipt.purchaseCount;
  data.orderNumber = receipt.receiptNumber;
  data.paymentMethod = methods.name(receipt.paymentMethod);
  data.timeText =
      receipt.createdAt.size() >= 19 ? receipt.createdAt.substr(0, 19) : receipt.createdAt;
  if (data.timeText.size() > 10) {
    data.timeText[10] = ' ';
  }
  data.copy = copy;
  return data;
}

void AccountViewModel::reset() {
  m_loading = 0;
  m_needsRetry = false;
  m_message = {};
  m_printing = false;
  m_printMessage = {};
}

void AccountViewModel::refresh() {
  if (!m_context.hasTenant || !m_context.tenant.personal() || m_loading > 0) {
    return;
  }
  const auto accountId = m_context.tenant.account.accountId;
  const auto token = m_context.tenant.account.tenantToken;
  const auto generation = m_context.generation;
  ApiClient& api = m_context.api;
  m_loading = 3;
  m_needsRetry = false;
  auto finish = [this, generation](bool ok, const std::optional<ClientError>& error) {
    if (generation != m_context.generation) {
      return false;
    }
    --m_loading;
    if (!ok && error) {
      m_needsRetry = m_needsRetry || error->offline();
      m_message = explain(*error);
    }
    if (m_context.reportLink) {
      m_context.reportLink(ok || !error || !error->offline());
    }
    return true;
  };
  const auto failed = [finish](const std::string& what) {
    (void)finish(false, ClientError{ClientErrorKind::Protocol, std::nullopt, 0, what});
  };
  m_context.runner.run(
      [&api, accountId, token, finish, this]() -> Continuation {
        auto result = api.account(accountId, token);
        return [result = std::move(result), finish, this]() {
          if (!finish(result.has_value(), result ? std::nullopt : std::optional(result.error()))) {
            return;
          }
          if (result) {
            // Keep the token: the account route does not send it again.
            auto savedToken = m_context.tenant.account.tenantToken;
            auto expires = m_context.tenant.account.tenantTokenExpiresInS;
            m_context.tenant.account = *result;
            m_context.tenant.account.tenantToken = savedToken;
            m_context.tenant.account.tenantTokenExpiresInS = expires;
          }
        };
      },
      failed);
  m_context.runner.run(
      [&api, accountId, token, finish, this]() -> Continuation {
        auto result = api.alarms(accountId, token);
        return [result = std::move(result), finish, this]() {
          if (finish(result.has_value(), result ? std::nullopt : std::optional(result.error())) &&
              result) {
            m_context.tenant.alarms = *result;
          }
        };
      },
      failed);
  m_context.runner.run(
      [&api, accountId, token, finish, this]() -> Continuation {
        auto result = api.recharges(accountId, token);
        return [result = std::move(result), finish, this]() {
          if (finish(result.has_value(), result ? std::nullopt : std::optional(result.error())) &&
              result) {
            m_context.tenant.recharges = *result;
          }
        };
      },
      failed);
}

std::vector<MeterCard> AccountViewModel::cards() const {
  std::vector<MeterCard> cards;
  if (!m_context.hasTenant) {
    return cards;
  }
  for (const auto& meter : m_context.tenant.account.meters) {
    MeterCard card;
    card.meterId = meter.meterId;
    card.serial = meter.serial;
    card.personal = meter.personal;
    card.water = meter.medium == "water";
    card.hoardingCapYuan = yuanText(meter.hoardingCapFen);
    card.salesBlocked = meter.salesBlocked;
    if (meter.personal) {
      card.balanceYuan = yuanText(meter.balanceFen);
      card.negative = meter.balanceFen < 0;
      card.statusKey = statusKey(meter.status);
      card.statusColour = statusColour(meter.status);
      card.lastReading = meter.lastReadingAt ? localTimeText(*meter.lastReadingAt) : "";
      card.todayKwh = kwhText(meter.todayEnergyCentiKwh);
      card.daysLeft = daysLeftMessage(meter);
    }
    cards.push_back(std::move(card));
  }
  return cards;
}

std::vector<AlarmRow> AccountViewModel::alarmRows() const {
  std::vector<AlarmRow> rows;
  for (const auto& alarm : m_context.tenant.alarms) {
    AlarmRow row;
    if (alarm.meterId) {
      if (const auto* meter = m_context.tenant.meter(*alarm.meterId)) {
        row.meterSerial = meter->serial;
      }
    }
    row.kindKey = "alarm.kind." + alarm.kind;
    row.raisedAt = localTimeText(alarm.raisedAt);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<RechargeRow> AccountViewModel::rechargeRows() const {
  std::vector<RechargeRow> rows;
  for (const auto& item : m_context.tenant.recharges) {
    RechargeRow row;
    row.entryId = item.entryId;
    if (const auto* meter = m_context.tenant.meter(item.meterId)) {
      row.meterSerial = meter->serial;
    }
    row.kindKey = "history.kind." + item.kind;
    row.amountYuan = yuanText(item.amountFen);
    row.time = localTimeText(item.createdAt);
    row.sourceKey =
        "history.source." + (item.source.empty() ? std::string("counter") : item.source);
    row.purchaseCount = item.purchaseCount;
    rows.push_back(std::move(row));
  }
  return rows;
}

void AccountViewModel::reprint(std::int64_t entryId) {
  if (m_printing || !m_context.hasTenant || !m_context.tenant.personal()) {
    return;
  }
  if (m_context.printer == nullptr) {
    m_printMessage = {"print.no_printer", {}};
    return;
  }
  m_printing = true;
  m_printMessage = {"print.printing", {}};
  const auto accountId = m_context.tenant.account.accountId;
  const auto token = m_context.tenant.account.tenantToken;
  const auto generation = m_context.generation;
  ApiClient& api = m_context.api;
  devices::ReceiptPrinter* printer = m_context.printer;
  auto methods = paymentMethodNames(m_context);
  m_context.runner.run(
      [&api, printer, accountId, entryId, token, generation, methods = std::move(methods),
       this]() -> Continuation {
        auto receipt = api.receipt(accountId, entryId, token);
        Message outcome;
        if (!receipt) {
          outcome = explain(receipt.error());
        } else {
          auto doc = devices::composeReceipt(
              receiptData(*receipt, devices::ReceiptCopy::Reprint, methods), printer->columns());
          auto printed = printer->print(doc);
          outcome = printed ? Message{"print.done", {}} : Message{"print.failed", {}};
        }
        return [outcome, generation, this]() {
          if (generation != m_context.generation) {
            return;
          }
          m_printing = false;
          m_printMessage = outcome;
        };
      },
      [generation, this](const std::string&) {
        if (generation != m_context.generation) {
          return;
        }
        m_printing = false;
        m_printMessage = {"print.failed", {}};
      });
}

}  // namespace prepaid::kiosk
