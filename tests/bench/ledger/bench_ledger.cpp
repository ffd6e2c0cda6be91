// bench-ledger: ledger postings per second through the store's real posting path (BEGIN
// IMMEDIATE, synchronous=FULL, idempotency-key check, balance-cache update, COMMIT), compared in
// the same run with raw SQLite single-row autocommit INSERTs (synchronous=FULL, WAL) into a simple
// table in the same directory. Goal: postings/s >= 0.5 x raw inserts/s.
//
//   bench-ledger [--postings N] [--rounds R] [--meters M] [--dir PATH]
//
// N x R postings and as many raw inserts run interleaved one by one; rates are count / total
// time, and also 1 / median latency (robust against other load on a shared machine).

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
  long postings = 1000;  // per round
  long rounds = 5;
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

    // Postings and raw inserts alternate one by one, so that both see the same disk and CPU
    // conditions on a shared machine (fsync latency varies by an order of magnitude here).
    std::vector<double> postingSeconds;
    std::vector<double> rawSeconds;
    const long total = options.postings * options.rounds;
    postingSeconds.reserve(static_cast<std::size_t>(total));
    rawSeconds.reserve(static_cast<std::size_t>(total));
    const auto created = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    for (long next = 0; next < total && exitCode == 0; ++next) {
      // One ledger posting: one money-moving transaction through the store.
      store::LedgerEntry entry;
      entry.meterId = meters[static_cast<std::size_t>(next % options.meters)];
      entry.kind = domain::EntryKind::Recharge;
      entry.amountFen = 100 + next % 900;
      entry.idempotencyKey = "bench-" + std::to_string(next);
      entry.source = "bench";
      entry.createdAt = created;
      auto start = Clock::now();
      auto posted = db.write(
          [&](store::WriteTransaction& tx) -> std::expected<void, store::StoreError> {
            auto appended = tx.ledger().append(entry);
            if (!appended) {
              return std::unexpected(appended.error());
            }
            return {};
          },
          store::Durability::Full);
      postingSeconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
      if (!posted) {
        std::fprintf(stderr, "bench-ledger: posting: %s\n", posted.error().message.c_str());
        exitCode = 1;
        break;
      }

      // One raw single-row insert, autocommit: one transaction.
      start = Clock::now();
      sqlite3_bind_int64(insert, 1, next % options.meters);
      sqlite3_bind_int64(insert, 2, 100 + next % 900);
      sqlite3_bind_text(insert, 3, "bench", -1, SQLITE_STATIC);
      const int rc = sqlite3_step(insert);
      sqlite3_reset(insert);
      rawSeconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
      if (!check(rc, raw, "insert")) {
        exitCode = 1;
      }
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
      const auto sum = [](const std::vector<double>& v) {
        double t = 0;
        for (double x : v) {
          t += x;
        }
        return t;
      };
      const double postings = static_cast<double>(total) / sum(postingSeconds);
      const double inserts = static_cast<double>(total) / sum(rawSeconds);
      const double postingsMedian = 1.0 / median(postingSeconds);
      const double insertsMedian = 1.0 / median(rawSeconds);
      std::printf(
          "bench-ledger: %ld postings and %ld raw inserts, interleaved, over %ld meters "
          "in %s\n",
          total, total, options.meters, options.dir.c_str());
      std::printf(
          "ledger postings/s (BEGIN IMMEDIATE, synchronous=FULL, WAL): %.0f "
          "(from median latency: %.0f)\n",
          postings, postingsMedian);
      std::printf(
          "raw single-row inserts/s (autocommit, synchronous=FULL, WAL): %.0f "
          "(from median latency: %.0f)\n",
          inserts, insertsMedian);
      std::printf("ratio postings/raw: %.2f (median-based %.2f; goal >= 0.50)\n",
                  postings / inserts, postingsMedian / insertsMedian);
    }
  }
  if (ownDir) {
    std::filesystem::remove_all(options.dir, ec);
  }
  return exitCode;
}
