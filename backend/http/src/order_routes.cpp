// Payment orders (issue 7 item 5) over payments::PaymentService: the kiosk creates an order
// (Idempotency-Key), polls it, cancels it, submits a scanned payment code and reports the printed
// receipt; staff list/search orders and refund; the providers post their notifications, which
// are verified by signature (no other credentials) and answered in each provider's own format.

#include <algorithm>
#include <cctype>

#include "meter_views.hpp"
#include "server_core.hpp"

#include "prepaid/api/json_fields.hpp"
#include "prepaid/api/order_types.hpp"
#include "prepaid/api/time_format.hpp"
#include "prepaid/payments/payment_service.hpp"

namespace prepaid::backend::http {

namespace {

using payments::PaymentErrorCode;
using store::PaymentOrder;
using OrderState = store::PaymentOrderState;

constexpr std::int64_t MaxListLimit = 1000;

std::expected<payments::PaymentService*, ApiError> paymentsOf(ServerCore& core) {
  if (core.services().payments == nullptr) {
    return std::unexpected(
        apiError(ErrorCode::PaymentsUnavailable, "payments are not running at this site"));
  }
  return core.services().payments;
}

ApiError fromPayment(const payments::PaymentError& error) {
  switch (error.code) {
    case PaymentErrorCode::InvalidAmount:
      return apiError(ErrorCode::InvalidAmount, error.message);
    case PaymentErrorCode::UnknownMeter:
      return apiError(ErrorCode::UnknownMeter, error.message);
    case PaymentErrorCode::AccountNotOpen:
      return apiError(ErrorCode::AccountNotOpen, error.message);
    case PaymentErrorCode::SalesBlocked:
      return apiError(ErrorCode::SalesBlocked, error.message);
    case PaymentErrorCode::AboveHoardingCap:
      return apiError(ErrorCode::AboveHoardingCap, error.message);
    case PaymentErrorCode::UnknownOrder:
      return apiError(ErrorCode::UnknownOrder, error.message);
    case PaymentErrorCode::InvalidPaymentCode:
      return apiError(ErrorCode::InvalidPaymentCode, error.message);
    case PaymentErrorCode::ProviderUnavailable:
      return apiError(ErrorCode::ProviderUnavailable, error.message);
    case PaymentErrorCode::ProviderRefused:
      return apiError(ErrorCode::ProviderRefused, error.message);
    case PaymentErrorCode::InvalidState:
      return apiError(ErrorCode::InvalidState, error.message);
    case PaymentErrorCode::IdempotencyConflict:
      return apiError(ErrorCode::IdempotencyConflict, error.message);
    case PaymentErrorCode::NotRefundable:
      return apiError(ErrorCode::NotRefundable, error.message);
    case PaymentErrorCode::Storage:
      break;
  }
  if (error.message.starts_with("busy")) {
    return apiError(ErrorCode::Busy, "the database is busy; retry");
  }
  // The dispatcher logs internal errors with this message; the client sees only the code.
  return apiError(ErrorCode::Internal, "internal error (payments: " + error.message + ")");
}

/// Order numbers are the service's own ("P" + digits); anything else cannot name an order.
std::expected<std::string, ApiError> orderNoParam(const Request& request) {
  const auto it = request.pathParams.find("order_no");
  if (it != request.pathParams.end() && !it->second.empty() && it->second.size() <= 64 &&
      std::ranges::all_of(it->second, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
      })) {
    return it->second;
  }
  return std::unexpected(
      apiError(ErrorCode::InvalidParameter, "path parameter 'order_no' must be an order number"));
}

/// The order by number without asking the provider (for actions that do their own work).
std::expected<PaymentOrder, ApiError> storedOrder(ServerCore& core, const std::string& orderNo) {
  std::optional<PaymentOrder> found;
  auto read = readStore(core.store(),
                        [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                          PREPAID_TRY_STORE(byNo, tx.orders().orderByNo(orderNo));
                          found = *byNo;
                          return {};
                        });
  if (!read) {
    return std::unexpected(read.error());
  }
  if (!found) {
    return std::unexpected(apiError(ErrorCode::UnknownOrder, "no payment order " + orderNo));
  }
  return *found;
}

/// A kiosk sees only the orders it created: another kiosk's order is unknown to it.
std::expected<void, ApiError> requireOwnOrder(const Request& request, const PaymentOrder& order) {
  if (order.source != request.actor()) {
    return std::unexpected(apiError(ErrorCode::UnknownOrder, "no payment order " + order.orderNo));
  }
  return {};
}

enum class WithReceipt {
  No,
  Yes,
};

std::string channelName(store::PaymentChannel channel) {
  return channel == store::PaymentChannel::Code ? "code" : "qr";
}

std::optional<std::string> timeOf(const std::optional<domain::Instant>& at,
                                  const domain::SiteTimeZone& zone) {
  if (!at) {
    return std::nullopt;
  }
  return api::formatRfc3339(*at, zone);
}

/// The kiosk view of an order from one read snapshot.
std::expected<api::OrderView, ApiError> orderView(const store::ReadTransaction& tx,
                                                  const PaymentOrder& order, domain::Instant now,
                                                  WithReceipt withReceipt) {
  PREPAID_TRY_STORE(site, tx.site().site());
  const auto& zone = site->timeZone;
  api::OrderView view;
  view.orderNo = order.orderNo;
  view.meterId = order.meterId;
  PREPAID_TRY_STORE(meter, tx.meters().meter(order.meterId));
  view.meterSerial = meter->serial;
  if (meter->shopId) {
    PREPAID_TRY_STORE(shop, tx.buildings().shop(*meter->shopId));
    view.shopNumber = shop->number;
  }
  view.amountFen = order.amountFen;
  view.channel = channelName(order.channel);
  view.provider = order.provider;
  view.state = std::string(store::toString(order.state));
  view.stage = api::stageOfState(view.state).value_or(api::OrderStage::AwaitingPayment);
  view.creditPending = view.stage == api::OrderStage::CreditPending;
  view.qrCode = order.qrCode;
  view.createdAt = api::formatRfc3339(order.createdAt, zone);
  view.expiresAt = api::formatRfc3339(order.expiresAt, zone);
  if (view.stage == api::OrderStage::AwaitingPayment && order.expiresAt > now) {
    view.expiresInS =
        std::chrono::duration_cast<std::chrono::seconds>(order.expiresAt - now).count();
  }
  view.paidAt = timeOf(order.paidAt, zone);
  view.creditedAt = timeOf(order.creditedAt, zone);
  view.receiptedAt = timeOf(order.receiptedAt, zone);
  view.paidFen = order.paidFen;
  view.ledgerEntryId = order.ledgerEntryId;
  view.attention = order.attention == store::OrderAttention::NeedsStaff ? "needs_staff" : "none";
  view.lastError = order.lastError;
  const bool money =
      view.stage == api::OrderStage::CreditPending || view.stage == api::OrderStage::Credited;
  if (order.ledgerEntryId && money && withReceipt == WithReceipt::Yes) {
    PREPAID_TRY(receipt, receiptOf(tx, *order.ledgerEntryId, now));
    view.balanceAfterFen = receipt->balanceAfterFen;
    // The receipt is printed only once the meter confirmed the credit.
    if (view.stage == api::OrderStage::Credited) {
      view.receipt = std::move(*receipt);
    }
  }
  return view;
}

api::StaffOrderView staffView(api::OrderView view, const PaymentOrder& order,
                              const domain::SiteTimeZone& zone) {
  api::StaffOrderView staff;
  staff.order = std::move(view);
  staff.orderId = order.id;
  staff.source = order.source;
  staff.providerTradeNo = order.providerTradeNo;
  staff.attentionReason = order.attentionReason;
  staff.refundNo = order.refundNo;
  staff.refundReason = order.refundReason;
  staff.refundedBy = order.refundedBy;
  staff.commandId = order.commandId;
  staff.checks = order.checks;
  staff.updatedAt = api::formatRfc3339(order.updatedAt, zone);
  return staff;
}

Result kioskOrderReply(ServerCore& core, const PaymentOrder& order, int status = 200) {
  api::OrderView view;
  auto read = readStore(core.store(),
                        [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                          PREPAID_TRY(made, orderView(tx, order, core.now(), WithReceipt::Yes));
                          view = std::move(*made);
                          return {};
                        });
  if (!read) {
    return std::unexpected(read.error());
  }
  return jsonReply(Json(view), status);
}

Result staffOrderReply(ServerCore& core, const PaymentOrder& order, const Json& notifications) {
  Json body;
  auto read = readStore(
      core.store(), [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
        PREPAID_TRY(made, orderView(tx, order, core.now(), WithReceipt::Yes));
        PREPAID_TRY_STORE(site, tx.site().site());
        body = Json{{"order", Json(staffView(std::move(*made), order, site->timeZone))}};
        return {};
      });
  if (!read) {
    return std::unexpected(read.error());
  }
  if (!notifications.is_null()) {
    body["notifications"] = notifications;
  }
  return jsonReply(body);
}

std::string_view verdictName(store::NotificationVerdict verdict) {
  switch (verdict) {
    case store::NotificationVerdict::Accepted:
      return "accepted";
    case store::NotificationVerdict::Duplicate:
      return "duplicate";
    case store::NotificationVerdict::Rejected:
      return "rejected";
  }
  return "rejected";
}

/// needs_staff=true|false|1|0.
std::expected<std::optional<bool>, ApiError> queryBool(const Request& request,
                                                       const std::string& name) {
  const auto text = request.query(name);
  if (!text) {
    return std::optional<bool>{};
  }
  if (*text == "true" || *text == "1") {
    return std::optional<bool>(true);
  }
  if (*text == "false" || *text == "0") {
    return std::optional<bool>(false);
  }
  return std::unexpected(apiError(ErrorCode::InvalidParameter,
                                  "query parameter '" + name + "' must be true or false"));
}

Result notificationRoute(ServerCore& core, Request& request, payments::ProviderKind kind) {
  PREPAID_TRY(service, paymentsOf(core));
  payments::HeaderMap headers;
  for (const auto& [name, value] : request.raw.headers) {
    headers[name] = value;
  }
  // The service verifies the signature over the exact bytes, logs every notification (rejected
  // ones with the reason) and says what the provider expects back.
  const auto result = (*service)->handleNotification(kind, headers, request.raw.body);
  return Reply{result.ack.status, result.ack.body,
               result.ack.contentType.empty() ? "text/plain" : result.ack.contentType};
}

}  // namespace

void registerOrderRoutes(ServerCore& core) {
  // [SECTION] kiosk

  core.add(
      route(
          "POST", "/api/v1/kiosk/orders", Access::Kiosk, "payments",
          "Create a payment order {meter_id, amount_fen, channel?=qr|code, provider (qr: "
          "wechat|alipay)}; Idempotency-Key required. Checks the account is open, sales are "
          "not blocked, the hoarding cap and the site's minimum/maximum amount; a QR order "
          "comes back pending with qr_code",
          [&core](Request& request) -> Result {
            PREPAID_TRY(service, paymentsOf(core));
            api::FieldReader fields(request.body);
            PREPAID_TRY(known, fields.onlyKnown({"meter_id", "amount_fen", "channel", "provider"}));
            PREPAID_TRY(meterId, fields.requiredInt("meter_id", api::IntRange{1, INT64_MAX}));
            // Any integer: the limits are the site's, refused below with invalid_amount.
            PREPAID_TRY(amount, fields.requiredInt("amount_fen"));
            PREPAID_TRY(channel, fields.optionalEnum("channel", {"qr", "code"}));
            PREPAID_TRY(provider, fields.optionalEnum("provider", {"wechat", "alipay"}));
            payments::CreateOrderRequest create;
            create.meterId = *meterId;
            create.amountFen = *amount;
            create.channel = channel->value_or("qr") == "code" ? store::PaymentChannel::Code
                                                               : store::PaymentChannel::Qr;
            if (create.channel == store::PaymentChannel::Qr) {
              if (!*provider) {
                return std::unexpected(apiError(ErrorCode::MissingField,
                                                "a QR order needs 'provider' (wechat or alipay)"));
              }
              create.provider = payments::parseProviderKind(**provider);
            } else if (*provider) {
              return std::unexpected(
                  apiError(ErrorCode::InvalidField,
                           "'provider': a code order's provider is decided by the scanned code"));
            }
            create.idempotencyKey = request.idempotencyKey;
            create.source = request.actor();
            auto order = (*service)->createOrder(create);
            if (!order) {
              return std::unexpected(fromPayment(order.error()));
            }
            return kioskOrderReply(core, *order, 201);
          })
          .jsonBody()
          .idempotent());

  core.add(route("GET", "/api/v1/kiosk/orders/{order_no}", Access::Kiosk, "payments",
                 "The order as the kiosk polls it: state and stage, qr_code, expires_in_s, "
                 "credit_pending, balance and receipt once credited (asks the provider when a "
                 "check is due)",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(service, paymentsOf(core));
                   PREPAID_TRY(orderNo, orderNoParam(request));
                   PREPAID_TRY(stored, storedOrder(core, *orderNo));
                   PREPAID_TRY(own, requireOwnOrder(request, *stored));
                   auto order = (*service)->order(stored->id);
                   if (!order) {
                     return std::unexpected(fromPayment(order.error()));
                   }
                   return kioskOrderReply(core, *order);
                 }));

  core.add(route("POST", "/api/v1/kiosk/orders/{order_no}/cancel", Access::Kiosk, "payments",
                 "Cancel an unpaid order (closed/reversed at the provider); an order paid "
                 "meanwhile stays paid and is credited. Idempotent",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(service, paymentsOf(core));
                   PREPAID_TRY(orderNo, orderNoParam(request));
                   PREPAID_TRY(stored, storedOrder(core, *orderNo));
                   PREPAID_TRY(own, requireOwnOrder(request, *stored));
                   auto order = (*service)->cancel(stored->id);
                   if (!order) {
                     return std::unexpected(fromPayment(order.error()));
                   }
                   return kioskOrderReply(core, *order);
                 }));

  core.add(
      route("POST", "/api/v1/kiosk/orders/{order_no}/code", Access::Kiosk, "payments",
            "Submit the customer's scanned payment code {auth_code} to a code order (WeChat: 18 "
            "digits starting 10-15; Alipay: 16-24 digits starting 25-30; others are refused "
            "with invalid_payment_code)",
            [&core](Request& request) -> Result {
              PREPAID_TRY(service, paymentsOf(core));
              PREPAID_TRY(orderNo, orderNoParam(request));
              api::FieldReader fields(request.body);
              PREPAID_TRY(known, fields.onlyKnown({"auth_code"}));
              PREPAID_TRY(code, fields.requiredString("auth_code", api::LengthRange{1, 64}));
              PREPAID_TRY(stored, storedOrder(core, *orderNo));
              PREPAID_TRY(own, requireOwnOrder(request, *stored));
              auto order = (*service)->submitCode(stored->id, *code, request.kiosk->name);
              if (!order) {
                return std::unexpected(fromPayment(order.error()));
              }
              return kioskOrderReply(core, *order);
            })
          .jsonBody());

  core.add(route("POST", "/api/v1/kiosk/orders/{order_no}/receipted", Access::Kiosk, "payments",
                 "The kiosk printed the receipt of a credited order. Idempotent",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(service, paymentsOf(core));
                   PREPAID_TRY(orderNo, orderNoParam(request));
                   PREPAID_TRY(stored, storedOrder(core, *orderNo));
                   PREPAID_TRY(own, requireOwnOrder(request, *stored));
                   auto order = (*service)->markReceipted(stored->id);
                   if (!order) {
                     return std::unexpected(fromPayment(order.error()));
                   }
                   return kioskOrderReply(core, *order);
                 }));

  // [SECTION] staff

  core.add(
      route("GET", "/api/v1/orders", Access::Staff, "payments",
            "Payment orders, newest first (state?, meter_id?, shop_id?, shop_number?, from?, to? "
            "(created), needs_staff?=true, order_no? (order or provider trade number), "
            "limit?<=1000)",
            [&core](Request& request) -> Result {
              PREPAID_TRY(service, paymentsOf(core));
              store::OrderQuery query;
              if (const auto state = request.query("state")) {
                query.state = store::parsePaymentOrderState(*state);
                if (!query.state) {
                  return std::unexpected(apiError(ErrorCode::InvalidParameter,
                                                  "unknown order state '" + *state + "'"));
                }
              }
              PREPAID_TRY(meterId, queryInt(request, "meter_id", 1, INT64_MAX));
              PREPAID_TRY(shopId, queryInt(request, "shop_id", 1, INT64_MAX));
              PREPAID_TRY(from, queryTime(request, "from"));
              PREPAID_TRY(to, queryTime(request, "to"));
              PREPAID_TRY(needsStaff, queryBool(request, "needs_staff"));
              PREPAID_TRY(limit, queryInt(request, "limit", 1, MaxListLimit));
              const auto orderNo = request.query("order_no").value_or("");
              const auto shopNumber = request.query("shop_number");
              if (orderNo.size() > 64 || (shopNumber && shopNumber->size() > 32)) {
                return std::unexpected(
                    apiError(ErrorCode::InvalidParameter, "order_no or shop_number is too long"));
              }
              query.from = *from;
              query.to = *to;
              query.orderNo = orderNo;
              query.attentionOnly = needsStaff->value_or(false);
              query.limit = limit->value_or(100);

              // A shop is a set of meters (replaced ones included: their orders stay the shop's).
              std::vector<store::MeterId> meters;
              bool byShop = *shopId || shopNumber;
              if (byShop) {
                auto read = readStore(
                    core.store(),
                    [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                      store::ShopId shop = 0;
                      if (*shopId) {
                        PREPAID_TRY_STORE(found, tx.buildings().shop(**shopId));
                        shop = found->id;
                      } else {
                        auto found = tx.buildings().shopByNumber(*shopNumber);
                        if (!found) {
                          if (found.error().code == store::StoreErrorCode::NotFound) {
                            return std::unexpected(
                                apiError(ErrorCode::UnknownShop,
                                         "no shop with number '" + *shopNumber + "'"));
                          }
                          return std::unexpected(fromStore(found.error()));
                        }
                        shop = found->id;
                      }
                      PREPAID_TRY_STORE(all, tx.meters().meters());
                      for (const auto& meter : *all) {
                        if (meter.shopId == shop && (!*meterId || meter.id == **meterId)) {
                          meters.push_back(meter.id);
                        }
                      }
                      return {};
                    });
                if (!read) {
                  if (read.error().code == ErrorCode::NotFound) {
                    return std::unexpected(apiError(ErrorCode::UnknownShop, "no such shop"));
                  }
                  return std::unexpected(read.error());
                }
              } else if (*meterId) {
                meters.push_back(**meterId);
              }

              std::vector<PaymentOrder> found;
              if (!byShop && meters.empty()) {
                auto all = (*service)->search(query);
                if (!all) {
                  return std::unexpected(fromPayment(all.error()));
                }
                found = std::move(*all);
              } else {
                for (const auto meter : meters) {
                  query.meterId = meter;
                  auto some = (*service)->search(query);
                  if (!some) {
                    return std::unexpected(fromPayment(some.error()));
                  }
                  found.insert(found.end(), some->begin(), some->end());
                }
                std::ranges::sort(found, [](const PaymentOrder& a, const PaymentOrder& b) {
                  return a.createdAt != b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;
                });
                found.resize(std::min(found.size(), static_cast<std::size_t>(query.limit)));
              }
              Json items = Json::array();
              auto read = readStore(
                  core.store(),
                  [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                    PREPAID_TRY_STORE(site, tx.site().site());
                    for (const auto& order : found) {
                      PREPAID_TRY(view, orderView(tx, order, core.now(), WithReceipt::No));
                      items.push_back(Json(staffView(std::move(*view), order, site->timeZone)));
                    }
                    return {};
                  });
              if (!read) {
                return std::unexpected(read.error());
              }
              const auto count = items.size();
              return jsonReply(Json{{"orders", std::move(items)}, {"count", count}});
            })
          .needs(Permission::SalesRead));

  core.add(route("GET", "/api/v1/orders/{order_no}", Access::Staff, "payments",
                 "One payment order with its provider details and every notification received "
                 "for it (verdict and reason)",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(service, paymentsOf(core));
                   PREPAID_TRY(orderNo, orderNoParam(request));
                   PREPAID_TRY(stored, storedOrder(core, *orderNo));
                   auto records = (*service)->notifications(*orderNo, 200);
                   if (!records) {
                     return std::unexpected(fromPayment(records.error()));
                   }
                   domain::SiteTimeZone zone;
                   auto read = readStore(
                       core.store(),
                       [&](const store::ReadTransaction& tx) -> std::expected<void, ApiError> {
                         PREPAID_TRY_STORE(site, tx.site().site());
                         zone = site->timeZone;
                         return {};
                       });
                   if (!read) {
                     return std::unexpected(read.error());
                   }
                   Json notifications = Json::array();
                   for (const auto& record : *records) {
                     api::OrderNotificationView view;
                     view.provider = record.provider;
                     view.orderNo = record.orderNo;
                     view.eventId = record.eventId;
                     view.verdict = std::string(verdictName(record.verdict));
                     view.reason = record.reason;
                     view.amountFen = record.amountFen;
                     view.receivedAt = api::formatRfc3339(record.receivedAt, zone);
                     notifications.push_back(Json(view));
                   }
                   return staffOrderReply(core, *stored, notifications);
                 })
               .needs(Permission::SalesRead));

  core.add(route("POST", "/api/v1/orders/{order_no}/refund", Access::Staff, "payments",
                 "Refund a paid order to the customer {reason}; Idempotency-Key required. Allowed "
                 "while the money has not reached a meter-side meter (not creditable, or its "
                 "recharge still queued) and for server-side meters; not_refundable otherwise",
                 [&core](Request& request) -> Result {
                   PREPAID_TRY(service, paymentsOf(core));
                   PREPAID_TRY(orderNo, orderNoParam(request));
                   api::FieldReader fields(request.body);
                   PREPAID_TRY(known, fields.onlyKnown({"reason"}));
                   PREPAID_TRY(reason, fields.requiredString("reason", api::LengthRange{1, 200}));
                   PREPAID_TRY(stored, storedOrder(core, *orderNo));
                   auto order = (*service)->refund(stored->id, request.actor(), *reason);
                   if (!order) {
                     return std::unexpected(fromPayment(order.error()));
                   }
                   core.auditAfter(request, "order.refund", "order:" + *orderNo,
                                   Json{{"state", store::toString(stored->state)},
                                        {"amount_fen", stored->amountFen},
                                        {"meter_id", stored->meterId}},
                                   Json{{"state", store::toString(order->state)},
                                        {"refund_no", order->refundNo},
                                        {"reason", *reason}});
                   return staffOrderReply(core, *order, nullptr);
                 })
               .needs(Permission::SalesRefund)
               .jsonBody()
               .idempotent());

  // [SECTION] provider notifications (authenticated by the provider's signature only)

  core.add(route("POST", "/api/v1/payments/notify/wechat", Access::Public, "payments",
                 "WeChat Pay v3 notification (Wechatpay-Serial/Timestamp/Nonce/Signature "
                 "verified, resource decrypted): 204 when applied, 4xx {\"code\":\"FAIL\"} when "
                 "refused (WeChat resends)",
                 [&core](Request& request) -> Result {
                   return notificationRoute(core, request, payments::ProviderKind::Wechat);
                 })
               .rawBody());

  core.add(route("POST", "/api/v1/payments/notify/alipay", Access::Public, "payments",
                 "Alipay notification (form post, RSA2 verified without sign and sign_type): "
                 "answered with exactly 'success' when applied, 'fail' otherwise (Alipay resends)",
                 [&core](Request& request) -> Result {
                   return notificationRoute(core, request, payments::ProviderKind::Alipay);
                 })
               .rawBody());
}

}  // namespace prepaid::backend::http
