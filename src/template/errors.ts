/** Stable error codes of the template engine. */
export type TemplateErrorCode = 'TEMPLATE_SYNTAX' | 'TEMPLATE_UNKNOWN_FUNCTION' | 'TEMPLATE_EXEC' | 'TEMPLATE_LIMIT';

/**
 * Error raised when compiling or rendering a template. `line` and `column` are 1-based and point at
 * the token or node concerned; the message starts with `template: NAME:LINE:COLUMN:` like Go's.
 */
export class TemplateError extends Error {
  readonly code: TemplateErrorCode;
  readonly line: number;
  readonly column: number;
  readonly templateName: string;

  constructor(code: TemplateErrorCode, message: string, templateName: string, line: number, column: number) {
    super(`template: ${templateName}:${line}:${column}: ${message}`);
    this.name = 'TemplateError';
    this.code = code;
    this.line = line;
    this.column = column;
    this.templateName = templateName;
  }
}

/** Maps source offsets to 1-based line and column numbers. */
export class SourceMap {
  private readonly starts: number[] = [0];

  constructor(readonly source: string) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  /** Returns [line, column] for an offset, both 1-based. */
  locate(pos: number): [number, number] {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return [lo + 1, pos - this.starts[lo] + 1];
  }
}

/** Internal signal thrown during parsing or execution; converted to TemplateError at the API boundary. */
export class EngineFault extends Error {
  constructor(
    readonly code: TemplateErrorCode,
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}
