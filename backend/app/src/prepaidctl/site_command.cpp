#include "site_command.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "ctl_audit.hpp"
#include <toml++/toml.h>

#include "prepaid/billing/billing_service.hpp"
#include "prepaid/domain/billing_mode.hpp"
#include "prepaid/domain/money.hpp"
#include "prepaid/domain/tariff_codec.hpp"
#include "prepaid/domain/trip_policy.hpp"
#include "prepaid/http/access_admin.hpp"
#include "prepaid/http/password_hasher.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::ctl {

namespace {

// A site-file error: where (file: path.to.key) and what. Thrown only inside this file and caught
// in init(), so nothing is written for a bad file.
struct SiteFileError {
  std::string message;
};

struct Reader {
  std::string file;

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw SiteFileError{file + ": " + where + ": " + what};
  }
  void onlyKnown(const toml::table& table, const std::string& where,
                 const std::set<std::string>& known) const {
    for (const auto& [key, value] : table) {
      if (!known.contains(std::string(key.str()))) {
        fail(where + std::string(key.str()), "unknown key");
      }
    }
  }
  std::optional<std::int64_t> integer(const toml::table& table, const std::string& where,
                                      const char* key, std::int64_t low, std::int64_t high) const {
    const auto* node = table.get(key);
    if (node == nullptr) {
      return std::nullopt;
    }
    const auto value = node->value<std::int64_t>();
    if (!node->is_integer() || !value || *value < low || *value > high) {
      fail(where + key, "must be an integer " + std::to_string(low) + ".." + std::to_string(high));
    }
    return *value;
  }
  std::optional<std::string> text(const toml::table& table, const std::string& where,
                                  const char* key) const {
    const auto* node = table.get(key);
    if (node == nullptr) {
      return std::nullopt;
    }
    if (!node->is_string()) {
      fail(where + key, "must be a string");
    }
    return *node->value<std::string>();
  }
  std::string required(const toml::table& table, const std::string& where, const char* key) const {
    auto value = text(table, where, key);
    if (!value || value->empty()) {
      fail(where + key, "required");
    }
    return *value;
  }
  std::vector<const toml::table*> tables(const toml::table& table, const std::string& where,
                                         const char* key) const {
    std::vector<const toml::table*> result;
    const auto* node = table.get(key);
    if (node == nullptr) {
      return result;
    }
    const auto* array = node->as_array();
    if (array == nullptr) {
      fail(where + key, "must be an array of tables ([[" + std::string(key) + "]])");
    }
    for (const auto& element : *array) {
      if (!element.is_table()) {
        fail(where + key, "must be an array of tables");
      }
      result.push_back(element.as_table());
    }
    return result;
  }
};

void check(const std::expected<void, store::StoreError>& result, const std::string& what) {
  if (!result) {
    throw SiteFileError{what + ": " + result.error().message};
  }
}
template <typename T>
T check(std::expected<T, store::StoreError> result, const std::string& what) {
  if (!result) {
    throw SiteFileError{what + ": " + result.error().message};
  }
  return std::move(*result);
}

// An RFC 3339 instant with an explicit offset: a TOML offset date-time, or a string in that form
// (read through the TOML parser so both spellings accept exactly the same text).
std::optional<domain::Instant> instant(const toml::node& node) {
  std::optional<toml::date_time> value = node.value<toml::date_time>();
  if (!value && node.is_string()) {
    try {
      const auto parsed = toml::parse("v = " + *node.value<std::string>());
      value = parsed["v"].value<toml::date_time>();
    } catch (const toml::parse_error&) {
      return std::nullopt;
    }
  }
  if (!value || !value->offset) {
    return std::nullopt;  // a local date-time has no instant without a zone
  }
  if (value->time.nanosecond != 0) {
    return std::nullopt;  // instants are whole seconds
  }
  const std::chrono::year_month_day date{std::chrono::year{value->date.year},
                                         std::chrono::month{value->date.month},
                                         std::chrono::day{value->date.day}};
  if (!date.ok()) {
    return std::nullopt;
  }
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(value->time.hour) +
                     std::chrono::minutes(value->time.minute) +
                     std::chrono::seconds(value->time.second);
  return domain::Instant(local - std::chrono::minutes(value->offset->minutes));
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw SiteFileError{};
  }
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

// [[tariffs]]: each table is one effective-dated version of the named tariff (several tables with
// one name give its price history). Returns every tariff of the database by name, so settings and
// meters can refer to tariffs loaded earlier as well.
std::map<std::string, store::TariffId> applyTariffs(const Reader& in, const toml::table& root,
                                                    store::WriteTransaction& tx,
                                                    domain::Instant siteStart) {
  std::map<std::string, store::TariffId> byName;
  for (const auto& row : check(tx.tariffs().tariffs(), "tariffs")) {
    byName[row.name] = row.id;
  }
  int t = 0;
  for (const auto* table : in.tables(root, "", "tariffs")) {
    const auto w = "tariffs[" + std::to_string(t++) + "].";
    in.onlyKnown(*table, w, {"name", "text", "file", "effective_from"});
    const auto name = in.required(*table, w, "name");
    const auto text = in.text(*table, w, "text");
    const auto file = in.text(*table, w, "file");
    if (text.has_value() == file.has_value()) {
      in.fail(w + "text", "give exactly one of 'text' (the tariff text) or 'file' (a path)");
    }
    std::string definition;
    std::string field = "text";
    if (file) {
      field = "file";
      // Relative to the site file, so a site directory can be moved as a whole.
      auto path = std::filesystem::path(*file);
      if (path.is_relative()) {
        path = std::filesystem::path(in.file).parent_path() / path;
      }
      try {
        definition = readFile(path);
      } catch (const SiteFileError&) {
        in.fail(w + "file", "cannot read '" + path.string() + "'");
      }
    } else {
      definition = *text;
    }
    const auto tariff = domain::decodeTariff(definition);
    if (!tariff) {
      in.fail(w + field, (file ? *file + ": " : std::string()) + tariff.error().message);
    }
    domain::Instant effectiveFrom = siteStart;
    if (const auto* node = table->get("effective_from")) {
      const auto at = instant(*node);
      if (!at) {
        in.fail(w + "effective_from",
                "must be an RFC 3339 instant with an offset, e.g. 2026-01-01T00:00:00+08:00");
      }
      effectiveFrom = *at;
    }
    if (!byName.contains(name)) {
      byName[name] = check(tx.tariffs().addTariff(name), w + "name").id;
    }
    store::TariffVersion version;
    version.tariffId = byName[name];
    version.effectiveFrom = effectiveFrom;
    // The canonical form, so the store holds one spelling of each tariff whatever the file had.
    version.definition = domain::encodeTariff(*tariff);
    version.createdAt = siteStart;
    check(tx.tariffs().addVersion(version), w + "effective_from");
  }
  return byName;
}

store::TariffId tariffNamed(const Reader& in, const std::map<std::string, store::TariffId>& byName,
                            const std::string& where, const std::string& name) {
  const auto found = byName.find(name);
  if (found == byName.end()) {
    in.fail(where, "no tariff '" + name + "' in [[tariffs]] or the database");
  }
  return found->second;
}

// [[operator]]: staff accounts. A password never appears in the file: either `password_hash`, a
// hash in the backend's own format (pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>, e.g. from
// `prepaidctl operator hash`), or `password_env`, the name of an environment variable holding the
// password, hashed here at the production iteration count.
struct PlannedOperator {
  std::string where;  // "operator[i]."
  std::string username;
  std::string displayName;
  std::string role;
  std::string passwordHash;
  std::string passwordFrom;  // "password_hash" or "password_env" (for the audit record)
};

bool isLowerHex(std::string_view text) {
  return std::ranges::all_of(
      text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The stored format exactly, with at least the production iteration count: a weaker hash in a
// site file would silently lower the site's password security.
void checkPasswordHash(const Reader& in, const std::string& where, const std::string& hash) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = hash.find('$', start);
    parts.push_back(hash.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  const std::string expected =
      "must be pbkdf2-sha256$<iterations>$<32 hex digits of salt>$<64 hex digits of hash> "
      "(prepaidctl operator hash prints one)";
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256" || parts[2].size() != 32 ||
      !isLowerHex(parts[2]) || parts[3].size() != 64 || !isLowerHex(parts[3])) {
    in.fail(where + "password_hash", expected);
  }
  std::int64_t iterations = 0;
  const auto [ptr, ec] =
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (ec != std::errc{} || ptr != parts[1].data() + parts[1].size()) {
    in.fail(where + "password_hash", expected);
  }
  if (iterations < http::DefaultPbkdf2Iterations || iterations > 10'000'000) {
    in.fail(where + "password_hash", "iteration count " + parts[1] + " is outside " +
                                         std::to_string(http::DefaultPbkdf2Iterations) +
                                         "..10000000");
  }
}

// Read (and passwords hashed) before the database is touched: hashing is slow and must not hold
// the write lock, and a bad operator row fails like any other bad row.
std::vector<PlannedOperator> planOperators(const Reader& in, const toml::table& root) {
  std::vector<PlannedOperator> planned;
  std::set<std::string> usernames;
  const http::PasswordHasher hasher;
  int i = 0;
  for (const auto* table : in.tables(root, "", "operator")) {
    PlannedOperator op;
    op.where = "operator[" + std::to_string(i++) + "].";
    const auto& w = op.where;
    in.onlyKnown(*table, w, {"username", "name", "role", "password_hash", "password_env"});
    if (table->contains("password")) {
      in.fail(w + "password",
              "plain-text passwords are not accepted: use password_hash or "
              "password_env");
    }
    op.username = in.required(*table, w, "username");
    if (op.username.size() > 64) {
      in.fail(w + "username", "at most 64 characters");
    }
    if (!usernames.insert(op.username).second) {
      in.fail(w + "username", "'" + op.username + "' appears twice in the file");
    }
    op.displayName = in.text(*table, w, "name").value_or(op.username);
    op.role = in.text(*table, w, "role").value_or("admin");
    const auto hash = in.text(*table, w, "password_hash");
    const auto env = in.text(*table, w, "password_env");
    if (hash.has_value() == env.has_value()) {
      in.fail(w + "password_hash",
              "give exactly one of 'password_hash' or 'password_env' for operator '" + op.username +
                  "'");
    }
    if (hash) {
      checkPasswordHash(in, w, *hash);
      op.passwordHash = *hash;
      op.passwordFrom = "password_hash";
    } else {
      const char* value = env->empty() ? nullptr : std::getenv(env->c_str());
      if (value == nullptr) {
        in.fail(w + "password_env", "environment variable '" + *env + "' is not set");
      }
      const std::string password(value);
      if (password.size() < http::MinPasswordBytes || password.size() > http::MaxPasswordBytes) {
        in.fail(w + "password_env", "the password in '" + *env + "' must be 8 to 128 bytes long");
      }
      op.passwordHash = hasher.hash(password);
      op.passwordFrom = "password_env";
    }
    planned.push_back(std::move(op));
  }
  return planned;
}

std::int64_t addOperators(const Reader& in, const std::vector<PlannedOperator>& planned,
                          store::WriteTransaction& tx, domain::Instant now) {
  if (planned.empty()) {
    return 0;
  }
  const auto roles = check(tx.operators().roles(), "roles");
  for (const auto& op : planned) {
    std::optional<store::RoleId> roleId;
    std::string roleNames;
    for (const auto& role : roles) {
      roleNames += (roleNames.empty() ? "" : ", ") + role.name;
      if (role.name == op.role) {
        roleId = role.id;
      }
    }
    if (!roleId) {
      in.fail(op.where + "role", "no role '" + op.role + "' (roles: " + roleNames + ")");
    }
    if (tx.operators().operatorByName(op.username)) {
      in.fail(op.where + "username", "operator '" + op.username + "' exists already");
    }
    store::Operator row;
    row.username = op.username;
    row.displayName = op.displayName;
    row.passwordHash = op.passwordHash;
    row.roleId = *roleId;
    row.createdAt = now;
    row.passwordChangedAt = now;
    const auto added = check(tx.operators().addOperator(row), op.where + "username");
    auto entry = auditEntry("operator.create", "operator:" + std::to_string(added.id), nullptr,
                            nlohmann::json{{"username", op.username},
                                           {"display_name", op.displayName},
                                           {"role", op.role},
                                           {"password_from", op.passwordFrom}});
    entry.at = now;
    check(http::appendAudit(tx, entry), op.where + "audit");
  }
  return static_cast<std::int64_t>(planned.size());
}

// What init posted besides the site itself, for the summary line.
struct Openings {
  std::int64_t meters = 0;
  std::int64_t totalFen = 0;
  std::int64_t operators = 0;
  std::int64_t buildings = 0;
  std::int64_t gateways = 0;
  std::int64_t meterRows = 0;
};

// opening_balance_fen: whole fen, >= 0. A float (150.5) or a string ("150") is refused with the
// row and the meter named: money in a site file is never guessed at.
std::optional<std::int64_t> openingBalanceFen(const Reader& in, const toml::table& meter,
                                              const std::string& where, const std::string& serial) {
  const auto* node = meter.get("opening_balance_fen");
  if (node == nullptr) {
    return std::nullopt;
  }
  constexpr std::int64_t MaxFen = 1'000'000'000'000;  // 10,000,000,000.00 yuan: a typo, not money
  const auto value = node->value<std::int64_t>();
  if (!node->is_integer() || !value || *value < 0 || *value > MaxFen) {
    std::string got;
    if (value) {
      got = std::to_string(*value);
    } else if (const auto real = node->value_exact<double>()) {
      std::ostringstream text;
      text << *real;
      got = "the floating-point number " + text.str();
    } else if (const auto string = node->value_exact<std::string>()) {
      got = "the string \"" + *string + "\"";
    } else {
      std::ostringstream type;
      type << node->type();
      got = "a value of type " + type.str();
    }
    in.fail(where + "opening_balance_fen",
            "meter " + serial + ": must be a whole number of fen 0.." + std::to_string(MaxFen) +
                " (e.g. 15000 for 150.00 yuan), got " + got);
  }
  return *value;
}

void apply(const Reader& in, const toml::table& root, store::WriteTransaction& tx,
           domain::Instant now, billing::BillingService& billingService,
           const std::vector<PlannedOperator>& operators, Openings& openings) {
  in.onlyKnown(root, "", {"site", "settings", "tariffs", "building", "gateway", "operator"});
  const auto tariffs = applyTariffs(in, root, tx, now);
  if (const auto* site = root["site"].as_table()) {
    in.onlyKnown(*site, "site.", {"name", "utc_offset_minutes"});
    auto row = check(tx.site().site(), "site");
    if (auto name = in.text(*site, "site.", "name")) {
      row.name = *name;
    }
    if (auto offset = in.integer(*site, "site.", "utc_offset_minutes", -840, 840)) {
      row.timeZone.utcOffset = std::chrono::minutes(*offset);
    }
    check(tx.site().updateSite(row), "site");
  }
  if (const auto* settings = root["settings"].as_table()) {
    const std::string w = "settings.";
    in.onlyKnown(*settings, w,
                 {"collection_interval_s", "lost_contact_failures", "alarm1_fen", "alarm2_fen",
                  "overload_threshold_w", "default_unit_price_micro_yuan", "hoarding_cap_fen",
                  "close_allowed_fen", "alarm_sms_number", "default_tariff"});
    auto row = check(tx.site().settings(), "settings");
    constexpr std::int64_t Big = 1'000'000'000'000;
    row.collectionIntervalS = in.integer(*settings, w, "collection_interval_s", 1, 86400)
                                  .value_or(row.collectionIntervalS);
    row.lostContactFailures =
        in.integer(*settings, w, "lost_contact_failures", 1, 100).value_or(row.lostContactFailures);
    row.alarm1Fen = in.integer(*settings, w, "alarm1_fen", 0, Big).value_or(row.alarm1Fen);
    row.alarm2Fen = in.integer(*settings, w, "alarm2_fen", 0, Big).value_or(row.alarm2Fen);
    row.overloadThresholdW =
        in.integer(*settings, w, "overload_threshold_w", 0, Big).value_or(row.overloadThresholdW);
    row.defaultUnitPriceMicroYuan =
        in.integer(*settings, w, "default_unit_price_micro_yuan", 0, Big)
            .value_or(row.defaultUnitPriceMicroYuan);
    row.hoardingCapFen =
        in.integer(*settings, w, "hoarding_cap_fen", 0, Big).value_or(row.hoardingCapFen);
    row.closeAllowedFen =
        in.integer(*settings, w, "close_allowed_fen", 0, Big).value_or(row.closeAllowedFen);
    row.alarmSmsNumber = in.text(*settings, w, "alarm_sms_number").value_or(row.alarmSmsNumber);
    if (auto name = in.text(*settings, w, "default_tariff")) {
      row.defaultTariffId = tariffNamed(in, tariffs, w + "default_tariff", *name);
    }
    check(tx.site().updateSettings(row), "settings");
  }
  std::map<std::string, store::ShopId> shops;
  int b = 0;
  for (const auto* building : in.tables(root, "", "building")) {
    const auto w = "building[" + std::to_string(b++) + "].";
    in.onlyKnown(*building, w, {"name", "floor"});
    const auto added = check(tx.buildings().addBuilding(in.required(*building, w, "name")), w);
    ++openings.buildings;
    int f = 0;
    for (const auto* floor : in.tables(*building, w, "floor")) {
      const auto fw = w + "floor[" + std::to_string(f++) + "].";
      in.onlyKnown(*floor, fw, {"name", "ordinal", "shops"});
      const auto row =
          check(tx.buildings().addFloor(added.id, in.required(*floor, fw, "name"),
                                        in.integer(*floor, fw, "ordinal", -100, 1000).value_or(f)),
                fw);
      if (const auto* list = (*floor)["shops"].as_array()) {
        for (const auto& number : *list) {
          if (!number.is_string()) {
            in.fail(fw + "shops", "must be a list of shop numbers");
          }
          store::Shop shop;
          shop.floorId = row.id;
          shop.number = *number.value<std::string>();
          shops[shop.number] = check(tx.buildings().addShop(shop), fw + "shops").id;
        }
      }
    }
  }
  int g = 0;
  for (const auto* gateway : in.tables(root, "", "gateway")) {
    const auto w = "gateway[" + std::to_string(g++) + "].";
    in.onlyKnown(
        *gateway, w,
        {"name", "uri", "response_timeout_ms", "byte_timeout_ms", "delay_ms", "retries", "meter"});
    store::Gateway row;
    row.name = in.required(*gateway, w, "name");
    row.transportUri = in.required(*gateway, w, "uri");
    row.responseTimeoutMs =
        in.integer(*gateway, w, "response_timeout_ms", 1, 60000).value_or(row.responseTimeoutMs);
    row.byteTimeoutMs =
        in.integer(*gateway, w, "byte_timeout_ms", 1, 10000).value_or(row.byteTimeoutMs);
    row.interRequestDelayMs =
        in.integer(*gateway, w, "delay_ms", 0, 10000).value_or(row.interRequestDelayMs);
    row.retries = in.integer(*gateway, w, "retries", 0, 10).value_or(row.retries);
    const auto added = check(tx.gateways().add(row), w);
    ++openings.gateways;
    int m = 0;
    for (const auto* meter : in.tables(*gateway, w, "meter")) {
      const auto mw = w + "meter[" + std::to_string(m++) + "].";
      in.onlyKnown(*meter, mw,
                   {"serial", "unit", "profile", "billing", "shop", "key", "mac", "trip_policy",
                    "tenant", "purchase_count", "tariff", "opening_balance_fen"});
      store::Meter config;
      config.serial = in.required(*meter, mw, "serial");
      const auto opening = openingBalanceFen(in, *meter, mw, config.serial);
      config.unitAddress = in.integer(*meter, mw, "unit", 1, 247).value_or(0);
      if (config.unitAddress == 0) {
        in.fail(mw + "unit", "required, 1..247");
      }
      config.profile = in.text(*meter, mw, "profile").value_or("single-phase-prepaid");
      config.gatewayId = added.id;
      const auto billingText = in.text(*meter, mw, "billing").value_or("meter_side");
      const auto mode = domain::parseBillingMode(billingText);
      if (!mode) {
        in.fail(mw + "billing", "meter_side or server_side");
      }
      config.billingMode = *mode;
      if (auto shop = in.text(*meter, mw, "shop")) {
        if (!shops.contains(*shop)) {
          in.fail(mw + "shop", "no shop '" + *shop + "' in the buildings above");
        }
        config.shopId = shops[*shop];
      }
      config.macKeyHex = in.text(*meter, mw, "key").value_or("");
      config.macAlgorithm = in.text(*meter, mw, "mac").value_or("aes-cmac");
      if (auto policy = in.text(*meter, mw, "trip_policy")) {
        const auto kind = domain::parseTripPolicyKind(*policy);
        if (!kind) {
          in.fail(mw + "trip_policy", "immediate, never or delayed");
        }
        config.tripPolicy.kind = *kind;
      }
      if (auto name = in.text(*meter, mw, "tariff")) {
        config.tariffId = tariffNamed(in, tariffs, mw + "tariff", *name);
      }
      const auto purchaseCount = in.integer(*meter, mw, "purchase_count", 0, 4294967295);
      config.purchaseCount = purchaseCount.value_or(0);
      const auto tenantName = in.text(*meter, mw, "tenant");
      if (opening && *opening > 0 && !tenantName) {
        in.fail(mw + "opening_balance_fen",
                "meter " + config.serial +
                    ": an opening balance needs a tenant (it belongs to the tenant's account)");
      }
      const auto meterRow = check(tx.meters().add(config), mw);
      ++openings.meterRows;
      if (tenantName) {
        store::Tenant tenant;
        tenant.name = *tenantName;
        const auto person = check(tx.accounts().addTenant(tenant), mw + "tenant");
        check(tx.accounts().openAccount(person.id, {meterRow.id}, now), mw + "tenant");
        check(tx.meters().setStatus(meterRow.id, store::MeterStatus::Opened), mw + "tenant");
      }
      // A zero balance needs no entry: the meter starts like a new one (purchase_count still
      // sets the backend's count).
      if (opening && *opening > 0) {
        billing::OpeningBalanceRequest request;
        request.meterId = meterRow.id;
        request.amountFen = *opening;
        request.purchaseCount = purchaseCount;
        request.source = "prepaidctl init";
        request.note = "site file " + std::filesystem::path(in.file).filename().string();
        const auto posted = billingService.postOpeningBalance(tx, request);
        if (!posted) {
          in.fail(mw + "opening_balance_fen",
                  "meter " + config.serial + ": " +
                      std::string(billing::toString(posted.error().code)) + ": " +
                      posted.error().message);
        }
        ++openings.meters;
        openings.totalFen += *opening;
      }
    }
  }
  openings.operators = addOperators(in, operators, tx, now);
  // One record for the whole init (the operators have their own): what was loaded, from where.
  auto entry =
      auditEntry("site.init", "site", nullptr,
                 nlohmann::json{{"file", std::filesystem::path(in.file).filename().string()},
                                {"buildings", openings.buildings},
                                {"gateways", openings.gateways},
                                {"meters", openings.meterRows},
                                {"operators", openings.operators},
                                {"opening_balances", openings.meters},
                                {"opening_balance_total_fen", openings.totalFen}});
  entry.at = now;
  check(http::appendAudit(tx, entry), "audit");
}

int init(const std::string& siteFile, const std::string& db) {
  toml::table root;
  try {
    root = toml::parse_file(siteFile);
  } catch (const toml::parse_error& e) {
    std::cerr << "prepaidctl: " << siteFile << ":" << e.source().begin.line << ": "
              << e.description() << "\n";
    return 1;
  }
  const Reader reader{siteFile};
  std::string failure;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::vector<PlannedOperator> operators;
  try {
    operators = planOperators(reader, root);
  } catch (const SiteFileError& e) {
    std::cerr << "prepaidctl: " << e.message << " (nothing written)\n";
    return 1;
  }
  auto opened = store::openSqliteStore(db);
  if (!opened) {
    std::cerr << "prepaidctl: " << db << ": " << opened.error().message << "\n";
    return 3;
  }
  if (!operators.empty()) {
    // The built-in roles the operators refer to (created once per database, audited; harmless
    // when the rest of the file then fails).
    if (auto roles = http::ensureBuiltinRoles(**opened, now, auditActor()); !roles) {
      std::cerr << "prepaidctl: roles: " << roles.error().message << "\n";
      return 3;
    }
  }
  // Opening balances go through billing (the same rules and alarm/relay evaluation as the running
  // backend), inside init's one transaction: a bad row leaves nothing written.
  billing::BillingService billing(**opened, [now] { return now; });
  Openings openings;
  const auto written = (*opened)->write([&](store::WriteTransaction& tx)
                                            -> std::expected<void, store::StoreError> {
    try {
      apply(reader, root, tx, now, billing, operators, openings);
    } catch (const SiteFileError& e) {
      failure = e.message;
      return std::unexpected(store::StoreError{store::StoreErrorCode::InvalidArgument, e.message});
    }
    return {};
  });
  if (!failure.empty()) {
    std::cerr << "prepaidctl: " << failure << " (nothing written)\n";
    return 1;
  }
  if (!written) {
    std::cerr << "prepaidctl: " << written.error().message << "\n";
    return 3;
  }
  std::cout << "site written to " << db << "\n";
  if (openings.operators > 0) {
    std::cout << "operators: " << openings.operators << "\n";
  }
  if (openings.meters > 0) {
    std::cout << "opening balances: " << openings.meters << " meters, "
              << domain::formatYuan(domain::Money::fromFen(openings.totalFen)) << " yuan\n";
  }
  return 0;
}

}  // namespace

void registerSiteCommands(CLI::App& app, CommandResult& result) {
  auto site = std::make_shared<std::string>();
  auto db = std::make_shared<std::string>();
  auto* command = app.add_subcommand("init", "create or extend a site database from a site file");
  command->add_option("--site", *site, "site file (TOML)")->required();
  command->add_option("--db", *db, "site database file (created when missing)")->required();
  command->callback([site, db, &result] { result.exitCode = init(*site, *db); });
}

}  // namespace prepaid::backend::ctl
