// A mistake on the command line: printed as one line with the usage, exit 2.
export class UsageError extends Error {
  override name = 'UsageError';
}
