#pragma once

// Provider settings as a site configures them: one JSON file naming base URLs, ids and key files
// (paths relative to the file). prepaid-pay-sim writes such a file for the demo; a site going
// live replaces it with the real values — switching providers is configuration only:
//
//   {
//     "wechat": {"base_url": "https://api.mch.weixin.qq.com", "mchid": "…", "appid": "…",
//                "merchant_serial_no": "…", "merchant_private_key_file": "apiclient_key.pem",
//                "apiv3_key_file": "apiv3.key", "platform_certificate_files": ["wechatpay.pem"],
//                "platform_public_key_id": "", "platform_public_key_file": "",
//                "notify_url": "https://site.example/api/v1/payments/notify/wechat"},
//     "alipay": {"base_url": "https://openapi.alipay.com/gateway.do", "app_id": "…",
//                "app_private_key_file": "alipay_app_key.pem",
//                "alipay_public_key_file": "alipay_public_key.pem",
//                "notify_url": "https://site.example/api/v1/payments/notify/alipay"}
//   }
//
// Either section may be absent (that provider is then not offered).

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "prepaid/payments/alipay_provider.hpp"
#include "prepaid/payments/payment_provider.hpp"
#include "prepaid/payments/wechat_pay_provider.hpp"

namespace prepaid::backend::payments {

struct WechatSettings {
  std::string baseUrl;
  WechatPayConfig config;
};

struct AlipaySettings {
  std::string baseUrl;
  AlipayConfig config;
};

struct ProviderSettings {
  std::optional<WechatSettings> wechat;
  std::optional<AlipaySettings> alipay;
};

/// Reads the settings file and the key files it names. Configuration error naming the field or
/// file when anything is missing or unreadable.
[[nodiscard]] std::expected<ProviderSettings, ProviderError> loadProviderSettings(
    const std::filesystem::path& file);

/// The providers of `settings` over cpp-httplib transports.
[[nodiscard]] std::expected<std::vector<std::unique_ptr<PaymentProvider>>, ProviderError>
makeProviders(const ProviderSettings& settings, ProviderClock clock,
              const HttpTransportOptions& transport = {});

}  // namespace prepaid::backend::payments
