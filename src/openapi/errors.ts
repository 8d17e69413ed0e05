/** Stable codes for documents the converter refuses outright. */
export type OpenApiErrorCode =
  | 'OPENAPI_NOT_PARSEABLE'
  | 'OPENAPI_NOT_OPENAPI'
  | 'OPENAPI_BAD_REF'
  | 'OPENAPI_TOO_LARGE'
  | 'OPENAPI_INVALID';

/**
 * A document that cannot be converted. `location` is a JSON pointer into the document
 * (e.g. `/paths/~1pets/get`) or `line:column` for syntax errors.
 */
export class OpenApiError extends Error {
  readonly code: OpenApiErrorCode | string;
  readonly location?: string;

  constructor(code: OpenApiErrorCode | string, message: string, location?: string) {
    super(location ? `${message} (at ${location})` : message);
    this.name = 'OpenApiError';
    this.code = code;
    if (location !== undefined) this.location = location;
  }
}

/** A non-fatal finding: something in the document was skipped or approximated. */
export interface ConvertWarning {
  code: string;
  message: string;
  /** The operation concerned, e.g. "GET /pets/{id}". */
  operation?: string;
}

/** Appends `token` to a JSON pointer, escaping `~` and `/` as RFC 6901 requires. */
export function pointerJoin(base: string, token: string | number): string {
  const t = String(token);
  return `${base}/${t.includes('~') || t.includes('/') ? t.replace(/~/g, '~0').replace(/\//g, '~1') : t}`;
}
