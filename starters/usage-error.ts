/** Invalid input on the command line: exit code 2, one clear message. */
export class UsageError extends Error {
  override name = 'UsageError';
}
