#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "prepaid/sim/pay_sim_server.hpp"

namespace prepaid::devices::sim {

using namespace backend::payments;

namespace {

std::optional<std::string> readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool writeText(const std::filesystem::path& path, const std::string& text) {
  // Write then rename, so a reader never sees half a key.
  const auto temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      return false;
    }
    out << text;
    if (!out.flush()) {
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::permissions(
      temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(temporary, path, ec);
  return !ec;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::expected<PaySimKeys, std::string> loadKeys(const std::filesystem::path& dir) {
  auto file = [&](const char* name) -> std::expected<std::string, std::string> {
    auto text = readText(dir / name);
    if (!text) {
      return std::unexpected(std::string("missing ") + (dir / name).string());
    }
    return *text;
  };
  PaySimKeys keys;
  auto serial = file("wechat_merchant_serial.txt");
  auto apiV3 = file("wechat_apiv3.key");
  auto platformKey = file("wechat_platform_key.pem");
  auto platformCert = file("wechat_platform_cert.pem");
  auto merchantPublic = file("wechat_merchant_public.pem");
  auto alipayKey = file("alipay_private_key.pem");
  auto appPublic = file("alipay_app_public.pem");
  for (auto* loaded :
       {&serial, &apiV3, &platformKey, &platformCert, &merchantPublic, &alipayKey, &appPublic}) {
    if (!*loaded) {
      return std::unexpected(loaded->error());
    }
  }
  keys.wechatMerchantSerial = trimmed(*serial);
  keys.apiV3Key = trimmed(*apiV3);
  auto pk = RsaPrivateKey::fromPem(*platformKey);
  auto cert = Certificate::fromPem(*platformCert);
  auto mp = RsaPublicKey::fromPem(*merchantPublic);
  auto ak = RsaPrivateKey::fromPem(*alipayKey);
  auto ap = RsaPublicKey::fromPem(*appPublic);
  if (!pk || !cert || !mp || !ak || !ap || keys.apiV3Key.size() != 32) {
    return std::unexpected("unusable key material in " + dir.string() +
                           " (delete the directory to generate new keys)");
  }
  keys.wechatPlatformKey = std::make_shared<RsaPrivateKey>(*pk);
  keys.wechatPlatformCert = std::make_shared<Certificate>(*cert);
  keys.wechatMerchantPublic = std::make_shared<RsaPublicKey>(*mp);
  keys.alipayKey = std::make_shared<RsaPrivateKey>(*ak);
  keys.alipayAppPublic = std::make_shared<RsaPublicKey>(*ap);
  return keys;
}

}  // namespace

std::expected<PaySimKeys, std::string> loadOrCreatePaySimKeys(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "wechat_platform_cert.pem")) {
    return loadKeys(dir);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return std::unexpected("cannot create " + dir.string() + ": " + ec.message());
  }
  auto merchant = RsaPrivateKey::generate(2048);
  auto platform = RsaPrivateKey::generate(2048);
  auto app = RsaPrivateKey::generate(2048);
  auto alipay = RsaPrivateKey::generate(2048);
  if (!merchant || !platform || !app || !alipay) {
    return std::unexpected("RSA key generation failed");
  }
  auto cert = Certificate::selfSigned(*platform, "prepaid-pay-sim WeChat Pay platform", 3650);
  auto merchantCert = Certificate::selfSigned(*merchant, "prepaid-pay-sim merchant", 3650);
  if (!cert || !merchantCert) {
    return std::unexpected("certificate generation failed");
  }
  const std::vector<std::pair<const char*, std::string>> files = {
      {"wechat_merchant_key.pem", merchant->toPem()},
      {"wechat_merchant_public.pem", merchant->publicKey().toPem()},
      {"wechat_merchant_serial.txt", merchantCert->serialHex() + "\n"},
      {"wechat_platform_key.pem", platform->toPem()},
      {"wechat_platform_cert.pem", cert->toPem()},
      {"wechat_apiv3.key", randomAlnum(32) + "\n"},
      {"alipay_app_key.pem", app->toPem()},
      {"alipay_app_public.pem", app->publicKey().toPem()},
      {"alipay_private_key.pem", alipay->toPem()},
      {"alipay_public_key.pem", alipay->publicKey().toPem()},
  };
  for (const auto& [name, text] : files) {
    if (!writeText(dir / name, text)) {
      return std::unexpected("cannot write " + (dir / name).string());
    }
  }
  return loadKeys(dir);
}

std::expected<void, std::string> writeProviderSettings(const std::filesystem::path& dir,
                                                       const PaySimKeys& keys,
                                                       const std::string& baseUrl,
                                                       const std::string& notifyBaseUrl) {
  const nlohmann::json settings = {{"wechat",
                                    {{"base_url", baseUrl},
                                     {"mchid", keys.wechatMchid},
                                     {"appid", keys.wechatAppid},
                                     {"merchant_serial_no", keys.wechatMerchantSerial},
                                     {"merchant_private_key_file", "wechat_merchant_key.pem"},
                                     {"apiv3_key_file", "wechat_apiv3.key"},
                                     {"platform_certificate_files", {"wechat_platform_cert.pem"}},
                                     {"notify_url", notifyBaseUrl + "/wechat"}}},
                                   {"alipay",
                                    {{"base_url", baseUrl + "/alipay/gateway.do"},
                                     {"app_id", keys.alipayAppId},
                                     {"app_private_key_file", "alipay_app_key.pem"},
                                     {"alipay_public_key_file", "alipay_public_key.pem"},
                                     {"notify_url", notifyBaseUrl + "/alipay"}}}};
  if (!writeText(dir / "providers.json", settings.dump(2) + "\n")) {
    return std::unexpected("cannot write " + (dir / "providers.json").string());
  }
  return {};
}

}  // namespace prepaid::devices::sim
