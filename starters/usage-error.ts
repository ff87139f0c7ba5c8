import { InvalidInput } from '../core/errors';
/** Invalid input on the command line: exit code 2, one clear message. */
export class UsageError extends InvalidInput {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, 'request');
  }
}
