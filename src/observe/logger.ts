import pino from 'pino';

export type Logger = pino.Logger;

/** Paths of fields that may carry secrets anywhere in a log line; pino replaces them. */
const REDACT = [
  'authorization', 'password', 'token', 'secret', 'key', 'credential', 'defaultCredential', 'apiKey',
  '*.authorization', '*.password', '*.token', '*.secret', '*.key', '*.credential', '*.defaultCredential', '*.apiKey',
  'headers.authorization', 'headers["x-api-key"]', 'headers.cookie', 'req.headers.authorization', 'req.headers["x-api-key"]',
];

/** The gateway's structured JSON logger (stdout unless a destination is given). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'mcp-gateway' }, redact: { paths: REDACT, censor: '****' } }, destination);
}
