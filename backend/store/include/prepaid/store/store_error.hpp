#pragma once

// The one error type of prepaid::store. Every repository and store operation returns
// std::expected<T, StoreError>; no exception (SQLite or other) leaves the module.

#include <string>
#include <string_view>

namespace prepaid::store {

enum class StoreErrorCode {
  NotFound,             // the addressed row does not exist
  Duplicate,            // a UNIQUE value (serial, name, shop number, …) is already taken
  IdempotencyConflict,  // the idempotency key exists with a different request/entry
  Constraint,           // a CHECK / foreign key / trigger (e.g. append-only ledger) refused it
  InvalidArgument,      // the caller passed a value the store refuses before touching SQL
  InvalidTransition,    // a command/account state change not allowed from its current state
  Busy,                 // the database stayed locked longer than the busy timeout
  ReadOnly,             // a write was attempted on a read connection or a read-only file
  Corrupt,              // the file is not a database or is damaged
  SchemaTooNew,         // the file was migrated by a newer program; refused, nothing changed
  Io,                   // disk full, permission denied, cannot open, I/O failure
  Internal,             // anything else (a bug): the message says what
};

/// "not_found", "duplicate", … (stable, for logs and for mapping to API error codes).
[[nodiscard]] std::string_view toString(StoreErrorCode code);

struct StoreError {
  StoreErrorCode code = StoreErrorCode::Internal;
  std::string message;  // human-readable, names the table/row/constraint where known
};

}  // namespace prepaid::store
