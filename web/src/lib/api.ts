import createClient from 'openapi-fetch';
import type { paths } from './api.generated.js';
import type { FieldError } from './types.js';

/** A failed API call, from its RFC 9457 problem body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** The browser's UTC offset in hours, as the API's `timezone` parameter wants it (multiples of 0.25). */
export function browserTimezone(now = new Date()): number {
  const hours = -now.getTimezoneOffset() / 60;
  return Math.min(14, Math.max(-12, Math.round(hours * 4) / 4));
}

let onUnauthorized: (() => void) | undefined;
/** Called when the API answers 401 (the session ended: key regenerated, signed out elsewhere). */
export function setUnauthorizedHandler(handler: (() => void) | undefined): void {
  onUnauthorized = handler;
}

/**
 * The API at /api/v1 with the session cookie, typed by the server's OpenAPI document
 * (api.generated.d.ts): paths, parameters, bodies and answers. The key is never in script reach:
 * the HttpOnly cookie carries the session, and writes add the header the server asks of
 * cookie-authenticated writes. Pass each call to `send`, which answers its data or throws ApiError.
 */
export const client = createClient<paths>({
  baseUrl: '/api/v1',
  credentials: 'same-origin',
  headers: { Accept: 'application/json', 'X-Requested-With': 'ticketing-web' },
  // Only the defined, non-empty values, as the desk's filters leave many empty.
  querySerializer: (params) => query(params as Record<string, string | number | boolean | undefined | null>),
});

export interface SendOptions {
  /** Don't treat a 401 as the end of the session (the sign-in call itself). */
  quiet401?: boolean;
}

/** The data of a call on `client`; a failed call throws ApiError from its RFC 9457 problem body. */
export async function send<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>, options: SendOptions = {}): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  const { response } = result;
  if (!response.ok) {
    const problem = (typeof result.error === 'object' && result.error !== null ? result.error : {}) as {
      code?: string;
      detail?: string;
      message?: string;
      errors?: FieldError[];
    };
    const retry = Number(response.headers.get('Retry-After'));
    const message =
      response.status === 429
        ? `Too many requests for this instance; try again in ${Number.isFinite(retry) && retry > 0 ? `${retry} s` : 'a moment'}.`
        : (problem.detail ?? problem.message ?? `${response.status} ${response.statusText}`);
    if (response.status === 401 && !options.quiet401) onUnauthorized?.();
    throw new ApiError(response.status, problem.code ?? 'http_' + response.status, message, problem.errors ?? [], Number.isFinite(retry) ? retry : undefined);
  }
  return result.data as T;
}

/**
 * Like `send`, with the answer's ETag (docs/api.md §5, a ticket's version): what a later write
 * names in If-Match, so that it fails (412) rather than overwrite a change it has not seen.
 */
export async function sendTagged<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<{ data: T; etag: string | null }> {
  let etag: string | null = null;
  const data = await send(
    call.then((result) => {
      etag = result.response.headers.get('ETag');
      return result;
    }),
  );
  return { data, etag };
}

/**
 * POSTs a multipart form (file uploads) with the session cookie, reporting the upload's progress
 * (0..1): fetch cannot, XMLHttpRequest can. Answers the JSON data or throws ApiError like `send`.
 */
export function sendForm<T>(path: string, form: FormData, onProgress?: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1${path}`);
    request.setRequestHeader('Accept', 'application/json');
    request.setRequestHeader('X-Requested-With', 'ticketing-web');
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded / event.total);
    };
    request.onload = () => {
      let body: { code?: string; detail?: string; errors?: FieldError[] } | undefined;
      try {
        body = request.responseText ? (JSON.parse(request.responseText) as typeof body) : undefined;
      } catch {
        body = undefined;
      }
      if (request.status >= 200 && request.status < 300) return resolve(body as T);
      if (request.status === 401) onUnauthorized?.();
      const retry = Number(request.getResponseHeader('Retry-After'));
      reject(
        new ApiError(
          request.status,
          body?.code ?? `http_${request.status}`,
          body?.detail ?? `${request.status} ${request.statusText}`,
          body?.errors ?? [],
          Number.isFinite(retry) ? retry : undefined,
        ),
      );
    };
    request.onerror = () => reject(new ApiError(0, 'network', 'The upload did not reach the server. Check your connection and try again.'));
    request.send(form);
  });
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The message to show for any error. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
