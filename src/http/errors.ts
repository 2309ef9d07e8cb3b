import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode, type FieldError } from '../domain/errors.js';
import { StaleTicket } from '../domain/etag.js';

/** The one place that turns errors into RFC 9457 problem responses (docs/api.md §3). */

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  instance_disabled: 403,
  not_found: 404,
  invalid_transition: 409,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  insufficient_storage: 507,
};

/**
 * Seconds a client should wait before retrying, for the codes where waiting helps: a database
 * that restarts or fails over is usually back within seconds (and the pool gives up on a
 * connection attempt after 5).
 */
export const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = { unavailable: 5 };

const TITLES: Record<ErrorCode, string> = {
  invalid_request: 'Invalid request',
  validation_failed: 'Validation failed',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  instance_disabled: 'Instance disabled',
  not_found: 'Not found',
  invalid_transition: 'Invalid status transition',
  conflict: 'Conflict',
  precondition_failed: 'Precondition failed',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  internal: 'Internal server error',
  unavailable: 'Service unavailable',
  insufficient_storage: 'Insufficient storage',
};

export function problemBody(code: ErrorCode, detail: string, errors?: FieldError[], statusOverride?: number) {
  const status = statusOverride ?? STATUS[code];
  return {
    type: `urn:ticketing:problem:${code}`,
    title: statusOverride === 405 ? 'Method not allowed' : TITLES[code],
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
    error: true as const,
    message: detail,
    statusCode: status,
  };
}

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail: string, errors?: FieldError[], statusOverride?: number) {
  const body = problemBody(code, detail, errors, statusOverride);
  const retryAfter = RETRY_AFTER_SECONDS[code];
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) reply.header('Retry-After', String(retryAfter));
  return reply.code(body.status).type('application/problem+json; charset=utf-8').send(body);
}

const SERVER_OWNED = new Set([
  'id',
  'ticketId',
  'ticketNo',
  'trackingId',
  'createdOn',
  'lastUpdatedOn',
  'lastInteraction',
  'firstResponseOn',
  'firstResolutionOn',
  'lastResolutionOn',
  'isFrtEscalated',
  'isRtEscalated',
  'isFrtBreached',
  'isRtBreached',
  'createdBy',
  'lastUpdatedBy',
  'resolution',
  'lastResolutionComment',
]);

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Ajv's errors as { path, message }, with paths like /body/ticket/title. */
function validationErrors(context: string, errors: AjvError[]): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of errors) {
    // Unions report one error per branch; the `anyOf` summary is enough.
    if (errors.some((o) => o.keyword === 'anyOf' && e.keyword !== 'anyOf' && e.instancePath === o.instancePath)) continue;
    let path = `/${context}${e.instancePath}`;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      path += `/${String(e.params.missingProperty)}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      const name = String(e.params.additionalProperty);
      path += `/${name}`;
      message = SERVER_OWNED.has(name) ? 'is set by the server and cannot be given' : 'is not a known field';
    } else if (e.keyword === 'anyOf') {
      message = 'has the wrong type or value';
    } else if (e.keyword === 'pattern') {
      message = 'must not be blank';
    }
    if (!seen.has(path + message)) {
      seen.add(path + message);
      out.push({ path, message });
    }
  }
  return out;
}

/**
 * `storeFault` names failures of the store itself (the dialect knows its driver's errors): the
 * database away or its disk full, answered 503 or 507 rather than 500.
 */
export function installErrorHandlers(
  app: FastifyInstance,
  isKnownPath: (method: string, url: string) => string[],
  storeFault: (error: unknown) => DomainError | undefined = () => undefined,
) {
  app.setErrorHandler((error: FastifyError & { validation?: AjvError[]; validationContext?: string }, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof StaleTicket) {
      // The current ticket comes with the 412, so a client can refresh without another read.
      reply.header('ETag', error.etag);
      const body = { ...problemBody(error.code, error.message), item: error.item };
      return reply.code(body.status).type('application/problem+json; charset=utf-8').send(body);
    }
    if (error instanceof DomainError) {
      if (STATUS[error.code] >= 500) request.log.error({ err: error }, 'domain error');
      return sendProblem(reply, error.code, error.message, error.errors);
    }
    const fault = storeFault(error);
    if (fault) {
      // An outage is logged briefly (one line per refused request, not a stack each); a full
      // disk needs an operator, so it is logged whole.
      if (fault.code === 'unavailable') request.log.warn({ cause: error.message, pgCode: error.code }, 'database unavailable');
      else request.log.error({ err: error }, 'database out of space');
      return sendProblem(reply, fault.code, fault.message);
    }
    if (error.validation) {
      const errors = validationErrors(error.validationContext ?? 'body', error.validation);
      const first = errors[0];
      const detail = errors.length === 1 && first ? `${first.path} ${first.message}` : 'The request has invalid fields';
      return sendProblem(reply, 'validation_failed', detail, errors);
    }
    const status = error.statusCode ?? 500;
    if (status === 413) return sendProblem(reply, 'payload_too_large', 'The request body is larger than allowed');
    if (status === 415) return sendProblem(reply, 'unsupported_media_type', 'Send the request body as application/json');
    if (status === 429) return sendProblem(reply, 'rate_limited', error.message);
    if (status >= 400 && status < 500) {
      const detail =
        error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'The JSON body is empty'
          : error instanceof SyntaxError || /JSON/i.test(error.message)
            ? 'The body is not valid JSON'
            : error.message;
      return sendProblem(reply, status === 404 ? 'not_found' : 'invalid_request', detail);
    }
    // Log the whole error with the request id; answer without internals (no stack, no SQL).
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 'internal', 'Something went wrong on our side; the error was logged with the request id ' + request.id);
  });

  app.setNotFoundHandler((request, reply) => {
    const allowed = isKnownPath(request.method, request.url);
    if (allowed.length > 0) {
      reply.header('Allow', allowed.join(', '));
      // 405 keeps the closed list of codes (docs/api.md §3): a wrong method is an invalid request.
      return sendProblem(reply, 'invalid_request', `${request.method} is not allowed here; use ${allowed.join(', ')}`, undefined, 405);
    }
    return sendProblem(reply, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
  });
}
