import pino from 'pino';

export type Logger = pino.Logger;

/** Paths of fields that may carry secrets anywhere in a log line; pino replaces them. */
const REDACT = [
  'authorization', 'password', 'token', 'secret', 'key', 'credential', 'defaultCredential', 'apiKey',
  '*.authorization', '*.password', '*.token', '*.secret', '*.key', '*.credential', '*.defaultCredential', '*.apiKey',
  'headers.authorization', 'headers["x-api-key"]', 'headers.cookie', 'req.headers.authorization', 'req.headers["x-api-key"]',
];

/**
 * The gateway's structured JSON logger. Without a destination it writes to stdout through a buffer
 * (one write per 4 KiB or 250 ms, not one per line: the access log would otherwise cost a system call
 * per request), flushed on exit.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  let dest = destination;
  if (!dest) {
    const buffered = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    const timer = setInterval(() => buffered.flush(), 250);
    timer.unref();
    process.once('exit', () => {
      try {
        buffered.flushSync();
      } catch {
        // the stream never opened: nothing buffered to lose
      }
    });
    dest = buffered;
  }
  return pino({ level, base: { service: 'mcp-gateway' }, redact: { paths: REDACT, censor: '****' } }, dest);
}
