// bench-ledger: ledger postings per second through the store's real posting path (BEGIN
// IMMEDIATE, synchronous=FULL, idempotency-key check, balance-cache update, COMMIT), compared in
// the same run with raw SQLite single-row autocommit INSERTs (synchronous=FULL, WAL) into a simple
// table in the same directory. Goal: postings/s >= 0.5 x raw inserts/s.
//
//   bench-ledger [--postings N] [--rounds R] [--meters M] [--dir PATH]
//
// Rounds alternate posting and raw runs so that both see the same disk conditions; the median
// rate of each is reported.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>
#include <stdlib.h>

#include "prepaid/store/store.hpp"

namespace {

using namespace prepaid;
using Clock = std::chrono::steady_clock;

struct Options {
  long postings = 2000;  // per round
  long rounds = 3;
  long meters = 100;
  std::filesystem::path dir;
};

bool parseCount(std::string_view text, long& out) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && out > 0;
}

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::puts("usage: bench-ledger [--postings N] [--rounds R] [--meters M] [--dir PATH]");
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench-ledger: %s needs a value (see --help)\n", argv[i]);
      return false;
    }
    const std::string_view value = argv[++i];
    bool ok = true;
    if (arg == "--postings") {
      ok = parseCount(value, options.postings);
    } else if (arg == "--rounds") {
      ok = parseCount(value, options.rounds);
    } else if (arg == "--meters") {
      ok = parseCount(value, options.meters);
    } else if (arg == "--dir") {
      options.dir = std::string(value);
    } else {
      std::fprintf(stderr, "bench-ledger: unknown option %s (see --help)\n", argv[i - 1]);
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "bench-ledger: %s needs a positive integer\n", argv[i - 1]);
      return false;
    }
  }
  return true;
}

double perSecond(long count, Clock::duration elapsed) {
  return static_cast<double>(count) / std::chrono::duration<double>(elapsed).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

bool check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "bench-ledger: raw sqlite %s: %s\n", what, sqlite3_errmsg(db));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    return 2;
  }
  const bool ownDir = options.dir.empty();
  if (ownDir) {
    std::string pattern = (std::filesystem::temp_directory_path() / "bench-ledger-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("bench-ledger: mkdtemp");
      return 1;
    }
    options.dir = pattern;
  }
  const auto storePath = options.dir / "ledger.db";
  const auto rawPath = options.dir / "raw.db";
  std::error_code ec;
  std::filesystem::remove(storePath, ec);
  std::filesystem::remove(rawPath, ec);
  int exitCode = 0;
  {
    auto opened = store::openSqliteStore(storePath);
    if (!opened) {
      std::fprintf(stderr, "bench-ledger: %s\n", opened.error().message.c_str());
      return 1;
    }
    auto& db = **opened;
    std::vector<store::MeterId> meters;
    auto setup =
        db.write([&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
          store::Gateway gateway;
          gateway.name = "bench";
          gateway.transportUri = "tcp://127.0.0.1:502";
          auto g = tx.gateways().add(gateway);
          if (!g) {
            return std::unexpected(g.error());
          }
          for (long i = 0; i < options.meters; ++i) {
            store::Meter meter;
            meter.serial = "BENCH-" + std::to_string(i);
            meter.profile = "bench";
            meter.unitAddress = 1 + i % 247;
            meter.gatewayId = g->id;
            auto m = tx.meters().add(meter);
            if (!m) {
              return std::unexpected(m.error());
            }
            meters.push_back(m->id);
          }
          return {};
        });
    if (!setup) {
      std::fprintf(stderr, "bench-ledger: setup: %s\n", setup.error().message.c_str());
      return 1;
    }

    sqlite3* raw = nullptr;
    sqlite3_open(rawPath.c_str(), &raw);
    if (!check(sqlite3_exec(raw,
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                            "CREATE TABLE t (id INTEGER PRIMARY KEY, meter_id INTEGER NOT NULL, "
                            "amount_fen INTEGER NOT NULL, note TEXT NOT NULL)",
                            nullptr, nullptr, nullptr),
               raw, "setup")) {
      sqlite3_close(raw);
      return 1;
    }
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(raw, "INSERT INTO t (meter_id, amount_fen, note) VALUES (?1, ?2, ?3)", -1,
                       &insert, nullptr);

    long next = 0;
    std::vector<double> postingRates;
    std::vector<double> rawRates;
    const auto created = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    for (long round = 0; round < options.rounds && exitCode == 0; ++round) {
      // Ledger postings: one money-moving transaction each.
      auto start = Clock::now();
      for (long i = 0; i < options.postings; ++i, ++next) {
        store::LedgerEntry entry;
        entry.meterId = meters[static_cast<std::size_t>(next % options.meters)];
        entry.kind = domain::EntryKind::Recharge;
        entry.amountFen = 100 + next % 900;
        entry.idempotencyKey = "bench-" + std::to_string(next);
        entry.source = "bench";
        entry.createdAt = created;
        auto posted = db.write(
            [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
              auto appended = tx.ledger().append(entry);
              if (!appended) {
                return std::unexpected(appended.error());
              }
              return {};
            },
            store::Durability::Full);
        if (!posted) {
          std::fprintf(stderr, "bench-ledger: posting: %s\n", posted.error().message.c_str());
          exitCode = 1;
          break;
        }
      }
      postingRates.push_back(perSecond(options.postings, Clock::now() - start));

      // Raw single-row inserts, autocommit: one transaction each.
      start = Clock::now();
      for (long i = 0; i < options.postings; ++i) {
        sqlite3_bind_int64(insert, 1, i % options.meters);
        sqlite3_bind_int64(insert, 2, 100 + i % 900);
        sqlite3_bind_text(insert, 3, "bench", -1, SQLITE_STATIC);
        if (!check(sqlite3_step(insert), raw, "insert")) {
          exitCode = 1;
          break;
        }
        sqlite3_reset(insert);
      }
      rawRates.push_back(perSecond(options.postings, Clock::now() - start));
    }
    sqlite3_finalize(insert);
    sqlite3_close(raw);

    if (exitCode == 0) {
      auto verification = db.verifyLedger();
      if (!verification || !verification->ok() ||
          verification->entriesChecked != options.postings * options.rounds) {
        std::fprintf(stderr, "bench-ledger: ledger verification failed after the run\n");
        exitCode = 1;
      }
    }
    if (exitCode == 0) {
      const double postings = median(postingRates);
      const double inserts = median(rawRates);
      std::printf("bench-ledger: %ld rounds x %ld postings over %ld meters in %s\n", options.rounds,
                  options.postings, options.meters, options.dir.c_str());
      std::printf("ledger postings/s (BEGIN IMMEDIATE, synchronous=FULL, WAL): %.0f\n", postings);
      std::printf("raw single-row inserts/s (autocommit, synchronous=FULL, WAL): %.0f\n", inserts);
      std::printf("ratio postings/raw: %.2f (goal >= 0.50)\n", postings / inserts);
    }
  }
  if (ownDir) {
    std::filesystem::remove_all(options.dir, ec);
  }
  return exitCode;
}
