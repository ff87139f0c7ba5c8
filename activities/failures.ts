// The error taxonomy every stage maps onto Temporal failures:
//  - invalid input (spec, data, validation): non-retryable, its message as is;
//  - outages (storage, database, network): retried with backoff by the workflow's retry policy;
//  - bugs — errors that come out the same on every attempt: a DuckDB binder/parser/catalog error in SQL the product
//    built, or a JavaScript programming error (TypeError, RangeError, …) with no system error behind it. A bug gets
//    two more attempts (in case a worker of older code took the task), then fails for good as
//    "internal error in <stage>: …", so a deterministic error never costs minutes of retries.

import type { InvalidInputKind } from '../core/errors';
import { FailureType } from '../workflows/contracts';

export const INTERNAL_ERROR_TYPE = FailureType.InternalError;

/** The failure type of each kind of invalid input: the one place core's InvalidInput meets Temporal. */
export const INVALID_INPUT_FAILURE: Record<InvalidInputKind, FailureType> = {
  spec: FailureType.InvalidSpec,
  data: FailureType.InvalidData,
  validation: FailureType.ValidationFailed,
  request: FailureType.InvalidSpec,
};
/** Attempts a bug gets in all: the first and two more. */
export const INTERNAL_ERROR_ATTEMPTS = 3;

const DETERMINISTIC_SQL = /^(Binder|Parser|Catalog|Not implemented|INTERNAL|Mismatch Type) Error:/;
/** Node's system error codes of a failed or dropped connection: an outage, even inside a TypeError (fetch). */
const SYSTEM_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;

function systemCause(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && SYSTEM_CODE.test(code)) return true;
  }
  return false;
}

/** True for an error that retrying cannot fix because the product itself is wrong. */
export function isBug(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (DETERMINISTIC_SQL.test(err.message)) return true;
  const programming = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;
  return programming && !systemCause(err);
}

/** The first line of a bug's message, under the stage it broke. */
export function internalMessage(stage: string, err: Error): string {
  return `internal error in ${stage}: ${err.name !== 'Error' && !err.message.startsWith(err.name) ? `${err.name}: ` : ''}${err.message.split('\n')[0]}`;
}
