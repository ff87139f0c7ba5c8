// Errors a user's input causes — a spec, data, a feature set, a model name, a command line — all extend
// InvalidInput and say which kind they are. They are mapped once: activities/failures.ts turns the kind into a
// non-retryable Temporal failure type (workflows/contracts.ts FailureType), and the CLI exits 2 on any of them.
// Everything else is an outage (retried) or a bug.

export type InvalidInputKind = 'spec' | 'data' | 'validation' | 'request';

export class InvalidInput extends Error {
  constructor(
    message: string,
    readonly kind: InvalidInputKind,
  ) {
    super(message);
  }
}
