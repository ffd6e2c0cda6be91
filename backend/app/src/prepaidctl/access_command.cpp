#include "access_command.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "ctl_audit.hpp"
#include <nlohmann/json.hpp>

#include "prepaid/http/access_admin.hpp"
#include "prepaid/http/audit_log.hpp"
#include "prepaid/http/crypto.hpp"
#include "prepaid/http/password_hasher.hpp"
#include "prepaid/store/store.hpp"

namespace prepaid::backend::ctl {

namespace {

using json = nlohmann::json;

domain::Instant now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

int exitFor(const store::StoreError& error) {
  switch (error.code) {
    case store::StoreErrorCode::InvalidArgument:
    case store::StoreErrorCode::Duplicate:
    case store::StoreErrorCode::NotFound:
      return 1;
    default:
      return 3;
  }
}

int fail(const std::string& code, const std::string& message, int exitCode) {
  std::cerr << "prepaidctl: " << message << "\n";
  std::cout << json{{"error", {{"code", code}, {"message", message}}}}.dump() << "\n";
  return exitCode;
}

std::unique_ptr<store::Store> openExisting(const std::string& db, int& exitCode) {
  store::StoreOptions options;
  options.create = store::StoreOptions::Create::MustExist;
  auto opened = store::openSqliteStore(db, options);
  if (!opened) {
    exitCode = fail(std::string(store::toString(opened.error().code)),
                    db + ": " + opened.error().message, 3);
    return nullptr;
  }
  return std::move(*opened);
}

struct OperatorOptions {
  std::string db;
  std::string username;
  std::string displayName;
  std::string role = "admin";
  std::string password;
  bool passwordStdin = false;
  std::int64_t iterations = http::DefaultPbkdf2Iterations;
};

int addOperator(const OperatorOptions& options) {
  std::string password = options.password;
  if (options.passwordStdin) {
    // One line; a trailing CR (a file written on Windows) is not part of the password.
    if (!std::getline(std::cin, password)) {
      return fail("invalid_argument", "no password on stdin", 1);
    }
    if (!password.empty() && password.back() == '\r') {
      password.pop_back();
    }
  }
  if (password.empty()) {
    return fail("invalid_argument", "a password is required (--password-stdin or --password)", 1);
  }
  int exitCode = 0;
  auto db = openExisting(options.db, exitCode);
  if (!db) {
    return exitCode;
  }
  const auto at = now();
  const auto actor = auditActor();
  if (auto roles = http::ensureBuiltinRoles(*db, at, actor); !roles) {
    return fail(std::string(store::toString(roles.error().code)), roles.error().message, 3);
  }
  const http::PasswordHasher hasher(options.iterations);
  auto created =
      http::createOperator(*db, hasher, options.username,
                           options.displayName.empty() ? options.username : options.displayName,
                           password, options.role, at, actor);
  if (!created) {
    return fail(std::string(store::toString(created.error().code)),
                "operator '" + options.username + "': " + created.error().message,
                exitFor(created.error()));
  }
  std::cout << json{{"operator_id", created->id},
                    {"username", options.username},
                    {"role", options.role}}
                   .dump()
            << "\n";
  return 0;
}

// Prints the stored form of a password (for `password_hash` in a site file's [[operator]]).
int hashPassword(std::int64_t iterations) {
  std::string password;
  if (!std::getline(std::cin, password)) {
    return fail("invalid_argument", "no password on stdin", 1);
  }
  if (!password.empty() && password.back() == '\r') {
    password.pop_back();
  }
  if (password.size() < http::MinPasswordBytes || password.size() > http::MaxPasswordBytes) {
    return fail("invalid_argument", "a password must be 8 to 128 bytes long", 1);
  }
  std::cout << http::PasswordHasher(iterations).hash(password) << "\n";
  return 0;
}

struct KioskOptions {
  std::string db;
  std::string name;
  std::string key;  // empty: a random key is issued
};

int addKiosk(const KioskOptions& options) {
  int exitCode = 0;
  auto db = openExisting(options.db, exitCode);
  if (!db) {
    return exitCode;
  }
  const auto at = now();
  if (options.key.empty()) {
    auto issued = http::createKiosk(*db, options.name, at, auditActor());
    if (!issued) {
      return fail(std::string(store::toString(issued.error().code)), issued.error().message,
                  exitFor(issued.error()));
    }
    std::cout
        << json{{"kiosk_id", issued->kiosk.id}, {"name", options.name}, {"key", issued->key}}.dump()
        << "\n";
    return 0;
  }
  // A given key (the demo site's known key, or one provisioned into a kiosk image): stored the
  // way createKiosk stores it (SHA-256 only), with the same audit record.
  if (options.key.size() < 16 || options.key.size() > 128) {
    return fail("invalid_argument", "--key must be 16..128 characters", 1);
  }
  store::Kiosk added;
  auto written =
      db->write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
        store::Kiosk kiosk;
        kiosk.name = options.name;
        kiosk.keyHash = http::sha256Hex(options.key);
        kiosk.createdAt = at;
        auto result = tx.access().addKiosk(kiosk);
        if (!result) {
          return std::unexpected(result.error());
        }
        added = *result;
        http::AuditEntry entry;
        entry.at = at;
        entry.actor = auditActor();
        entry.client = AuditClient;
        entry.action = "kiosk.create";
        entry.target = "kiosk:" + std::to_string(result->id);
        entry.afterJson = json{{"name", options.name}}.dump();
        if (auto audited = http::appendAudit(tx, entry); !audited) {
          return std::unexpected(audited.error());
        }
        return {};
      });
  if (!written) {
    return fail(std::string(store::toString(written.error().code)),
                "kiosk '" + options.name + "': " + written.error().message,
                exitFor(written.error()));
  }
  std::cout << json{{"kiosk_id", added.id}, {"name", options.name}, {"key", options.key}}.dump()
            << "\n";
  return 0;
}

}  // namespace

void registerAccessCommands(CLI::App& app, CommandResult& result) {
  auto* operatorCommand = app.add_subcommand("operator", "staff operators");
  operatorCommand->require_subcommand(1);
  auto operatorOptions = std::make_shared<OperatorOptions>();
  auto* add = operatorCommand->add_subcommand("add", "create an operator (audited)");
  add->add_option("--db", operatorOptions->db, "site database file")->required();
  add->add_option("--username", operatorOptions->username, "login name")->required();
  add->add_option("--name", operatorOptions->displayName, "display name (default: username)");
  add->add_option("--role", operatorOptions->role, "admin | cashier | technician | viewer | …")
      ->capture_default_str();
  auto* fromStdin = add->add_flag("--password-stdin", operatorOptions->passwordStdin,
                                  "read the password (one line) from stdin");
  add->add_option("--password", operatorOptions->password,
                  "the password (visible in the process list: scripts and demos only)")
      ->excludes(fromStdin);
  add->add_option("--iterations", operatorOptions->iterations,
                  "PBKDF2 iterations (tests only; the default is the production count)")
      ->check(CLI::Range(static_cast<std::int64_t>(1), static_cast<std::int64_t>(10'000'000)));
  add->callback([operatorOptions, &result] { result.exitCode = addOperator(*operatorOptions); });

  auto hashIterations = std::make_shared<std::int64_t>(http::DefaultPbkdf2Iterations);
  auto* hash = operatorCommand->add_subcommand(
      "hash",
      "print the stored hash of a password read from stdin (for a site file's "
      "[[operator]] password_hash)");
  hash->add_option("--iterations", *hashIterations, "PBKDF2 iterations (>= the production count)")
      ->check(CLI::Range(http::DefaultPbkdf2Iterations, static_cast<std::int64_t>(10'000'000)))
      ->capture_default_str();
  hash->callback([hashIterations, &result] { result.exitCode = hashPassword(*hashIterations); });

  auto* kioskCommand = app.add_subcommand("kiosk", "self-service kiosks");
  kioskCommand->require_subcommand(1);
  auto kioskOptions = std::make_shared<KioskOptions>();
  auto* kioskAdd =
      kioskCommand->add_subcommand("add", "register a kiosk and print its key (shown once)");
  kioskAdd->add_option("--db", kioskOptions->db, "site database file")->required();
  kioskAdd->add_option("--name", kioskOptions->name, "kiosk name")->required();
  kioskAdd->add_option("--key", kioskOptions->key,
                       "use this key instead of a random one (demo, provisioned images)");
  kioskAdd->callback([kioskOptions, &result] { result.exitCode = addKiosk(*kioskOptions); });
}

}  // namespace prepaid::backend::ctl
