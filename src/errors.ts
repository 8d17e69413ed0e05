/**
 * The gateway's single error catalogue: every error a user can cause has a stable code,
 * an HTTP status for the admin API, and a message naming what it concerns.
 */
export interface ErrorDetail {
  path?: string;
  line?: number;
  column?: number;
  message: string;
  code?: string;
}

export class GatewayError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  toJSON(): { error: { code: string; message: string; details: ErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const Errors = {
  unauthorized: (message = 'missing or invalid admin token') => new GatewayError('UNAUTHORIZED', 401, message),
  forbidden: (message: string) => new GatewayError('FORBIDDEN', 403, message),
  notFound: (what: string, name: string) => new GatewayError('NOT_FOUND', 404, `${what} "${name}" does not exist`),
  routeNotFound: (method: string, url: string) => new GatewayError('ROUTE_NOT_FOUND', 404, `no route for ${method} ${url}`),
  conflict: (message: string) => new GatewayError('CONFLICT', 409, message),
  badRequest: (message: string, details: ErrorDetail[] = []) => new GatewayError('BAD_REQUEST', 400, message, details),
  invalidJson: (message: string) => new GatewayError('INVALID_JSON', 400, `request body is not valid JSON: ${message}`),
  validation: (message: string, details: ErrorDetail[]) => new GatewayError('VALIDATION_FAILED', 422, message, details),
  inUse: (message: string) => new GatewayError('IN_USE', 409, message),
  tooLarge: (limit: number) => new GatewayError('BODY_TOO_LARGE', 413, `request body exceeds the limit of ${limit} bytes`),
  readOnly: (message: string) => new GatewayError('READ_ONLY', 409, message),
  internal: (message = 'internal error') => new GatewayError('INTERNAL', 500, message),
};
