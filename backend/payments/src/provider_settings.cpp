#include "prepaid/payments/provider_settings.hpp"

#include <fstream>
#include <sstream>

#include "provider_common.hpp"
#include <nlohmann/json.hpp>

namespace prepaid::backend::payments {

using detail::providerError;
using Json = nlohmann::json;

namespace {

std::expected<std::string, ProviderError> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(
        providerError(ProviderErrorCode::Configuration, "cannot read " + path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string field(const Json& section, const char* name) {
  return section.contains(name) && section[name].is_string() ? section[name].get<std::string>()
                                                             : std::string();
}

std::expected<std::string, ProviderError> keyFile(const Json& section, const char* name,
                                                  const std::filesystem::path& dir,
                                                  bool required = true) {
  const std::string file = field(section, name);
  if (file.empty()) {
    if (!required) {
      return std::string();
    }
    return std::unexpected(
        providerError(ProviderErrorCode::Configuration, std::string("missing field ") + name));
  }
  const std::filesystem::path path(file);
  return readFile(path.is_absolute() ? path : dir / path);
}

}  // namespace

std::expected<ProviderSettings, ProviderError> loadProviderSettings(
    const std::filesystem::path& file) {
  auto text = readFile(file);
  if (!text) {
    return std::unexpected(text.error());
  }
  const Json json = Json::parse(*text, nullptr, false);
  if (!json.is_object()) {
    return std::unexpected(
        providerError(ProviderErrorCode::Configuration, file.string() + " is not a JSON object"));
  }
  const std::filesystem::path dir = file.parent_path();
  ProviderSettings settings;
  if (json.contains("wechat") && json["wechat"].is_object()) {
    const Json& w = json["wechat"];
    WechatSettings wechat;
    wechat.baseUrl = field(w, "base_url");
    wechat.config.mchid = field(w, "mchid");
    wechat.config.appid = field(w, "appid");
    wechat.config.merchantSerialNo = field(w, "merchant_serial_no");
    wechat.config.notifyUrl = field(w, "notify_url");
    auto key = keyFile(w, "merchant_private_key_file", dir);
    auto apiV3 = keyFile(w, "apiv3_key_file", dir);
    auto publicKey = keyFile(w, "platform_public_key_file", dir, false);
    for (auto* loaded : {&key, &apiV3, &publicKey}) {
      if (!*loaded) {
        return std::unexpected(loaded->error());
      }
    }
    wechat.config.merchantPrivateKeyPem = *key;
    wechat.config.apiV3Key = *apiV3;
    while (!wechat.config.apiV3Key.empty() &&
           (wechat.config.apiV3Key.back() == '\n' || wechat.config.apiV3Key.back() == '\r')) {
      wechat.config.apiV3Key.pop_back();
    }
    wechat.config.platformPublicKeyId = field(w, "platform_public_key_id");
    wechat.config.platformPublicKeyPem = *publicKey;
    if (w.contains("platform_certificate_files") && w["platform_certificate_files"].is_array()) {
      for (const auto& entry : w["platform_certificate_files"]) {
        if (!entry.is_string()) {
          continue;
        }
        const std::filesystem::path path(entry.get<std::string>());
        auto pem = readFile(path.is_absolute() ? path : dir / path);
        if (!pem) {
          return std::unexpected(pem.error());
        }
        wechat.config.platformCertificatePems.push_back(*pem);
      }
    }
    settings.wechat = std::move(wechat);
  }
  if (json.contains("alipay") && json["alipay"].is_object()) {
    const Json& a = json["alipay"];
    AlipaySettings alipay;
    alipay.baseUrl = field(a, "base_url");
    alipay.config.appId = field(a, "app_id");
    alipay.config.notifyUrl = field(a, "notify_url");
    alipay.config.sellerId = field(a, "seller_id");
    auto key = keyFile(a, "app_private_key_file", dir);
    auto publicKey = keyFile(a, "alipay_public_key_file", dir);
    if (!key) {
      return std::unexpected(key.error());
    }
    if (!publicKey) {
      return std::unexpected(publicKey.error());
    }
    alipay.config.appPrivateKeyPem = *key;
    alipay.config.alipayPublicKeyPem = *publicKey;
    settings.alipay = std::move(alipay);
  }
  return settings;
}

std::expected<std::vector<std::unique_ptr<PaymentProvider>>, ProviderError> makeProviders(
    const ProviderSettings& settings, ProviderClock clock, const HttpTransportOptions& transport) {
  std::vector<std::unique_ptr<PaymentProvider>> providers;
  if (settings.wechat) {
    auto http = makeHttpTransport(settings.wechat->baseUrl, transport);
    if (!http) {
      return std::unexpected(
          providerError(ProviderErrorCode::Configuration, "wechat: " + http.error().message));
    }
    auto wechat = WechatPayProvider::create(settings.wechat->config, std::move(*http), clock);
    if (!wechat) {
      return std::unexpected(wechat.error());
    }
    providers.push_back(std::move(*wechat));
  }
  if (settings.alipay) {
    auto http = makeHttpTransport(settings.alipay->baseUrl, transport);
    if (!http) {
      return std::unexpected(
          providerError(ProviderErrorCode::Configuration, "alipay: " + http.error().message));
    }
    auto alipay = AlipayProvider::create(settings.alipay->config, std::move(*http), clock);
    if (!alipay) {
      return std::unexpected(alipay.error());
    }
    providers.push_back(std::move(*alipay));
  }
  return providers;
}

}  // namespace prepaid::backend::payments
