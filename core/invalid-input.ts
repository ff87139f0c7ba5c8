// Which errors are invalid input: InvalidInput and its subclasses (core/errors.ts), and SpecError, which
// core/spec.ts defines on its own. Kept apart from core/errors.ts so that module imports nothing.
import { InvalidInput, type InvalidInputKind } from './errors';
import { SpecError } from './spec';

/** The kind of invalid input an error is, or undefined for an outage or a bug. */
export function invalidInputKind(err: unknown): InvalidInputKind | undefined {
  if (err instanceof InvalidInput) return err.kind;
  if (err instanceof SpecError) return 'spec';
  return undefined;
}
