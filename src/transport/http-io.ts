import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse, JSONRPC_INVALID_REQUEST, type JsonRpcId } from '../protocol/jsonrpc.js';

export class BodyTooLargeError extends Error {
  readonly code = 'BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`request body exceeds the limit of ${limit} bytes`);
  }
}

/** Reads a request body up to `limit` bytes; rejects early on a Content-Length over the limit. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * A transport-level refusal as a JSON-RPC error body; `data.code` carries the gateway's stable
 * code so clients and tests need not parse messages.
 */
export function sendRpcError(res: ServerResponse, status: number, rpcCode: number, code: string, message: string, id: JsonRpcId = null, headers: Record<string, string> = {}): void {
  sendJson(res, status, errorResponse(id, rpcCode, message, { code }), headers);
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** Formats one SSE event. Data lines are split so a newline inside JSON cannot end the event. */
export function sseEvent(event: string | undefined, data: string, id?: string): string {
  let out = '';
  if (id) out += `id: ${id}\n`;
  if (event) out += `event: ${event}\n`;
  for (const line of data.split(/\r?\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** True when the Accept header admits the media type (or a wildcard covering it). */
export function accepts(header: string | undefined, type: string): boolean {
  if (!header) return false;
  const [major] = type.split('/');
  return header.split(',').some((part) => {
    const t = part.split(';')[0].trim().toLowerCase();
    return t === type || t === '*/*' || t === `${major}/*`;
  });
}

/** Reads the body under the limit; on failure answers 413 (or drops the connection) and returns undefined. */
export async function readBodyOrRefuse(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  try {
    return await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) sendRpcError(res, 413, JSONRPC_INVALID_REQUEST, 'BODY_TOO_LARGE', err.message);
    else res.destroy();
    return undefined;
  }
}
