/** Stable machine-readable error codes of the API (docs/api.md §3 documents each; test/docs.test.ts checks it). */
export type ErrorCode =
  | 'invalid_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'instance_disabled'
  | 'not_found'
  | 'invalid_transition'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal'
  /** The database is away (connection lost or refused, restarting); retry later. */
  | 'unavailable'
  /** The database's disk is full: nothing was written. */
  | 'insufficient_storage';

export interface FieldError {
  /** JSON pointer-ish path of the offending value, e.g. `/ticket/customFields/<id>`. */
  path: string;
  message: string;
}

/** A domain failure with a stable code; http/errors.ts decides the status and body. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);

export const invalid = (path: string, message: string) => new DomainError('validation_failed', message, [{ path, message }]);

/** Collects field errors so one answer lists every invalid field, not just the first. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  throwIfAny(summary = 'The request has invalid fields'): void {
    if (this.list.length > 0) {
      const first = this.list[0]!;
      const detail = this.list.length === 1 ? `${first.path}: ${first.message}` : summary;
      throw new DomainError('validation_failed', detail, this.list);
    }
  }
}
