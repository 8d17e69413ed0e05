import { randomBytes } from 'node:crypto';
import type { ProtocolVersion } from './versions.js';

/** A client session on one MCP server, issued by the gateway. */
export interface Session {
  id: string;
  server: string;
  transport: 'streamable-http' | 'sse';
  protocolVersion: ProtocolVersion;
  clientInfo?: unknown;
  clientCapabilities?: Record<string, unknown>;
  consumer?: string;
  initialized: boolean;
  createdAt: number;
  lastSeen: number;
  /** Server-to-client channel: the SSE stream (legacy transport) or the GET stream (Streamable HTTP). */
  push?: (message: unknown) => boolean;
  /** True while a stream is open on it: such a session is not reaped for idleness. */
  pinned?: boolean;
  /** Called when the session ends, to close its streams and upstream resources. */
  onClose?: () => void;
}

export class SessionLimitError extends Error {
  readonly code = 'SESSION_LIMIT';
}

/** In-memory sessions with an idle TTL and a cap; ids are 128-bit random, URL-safe. */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(ttlMs / 4, 1000), 60_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  create(init: Omit<Session, 'id' | 'createdAt' | 'lastSeen' | 'initialized'>): Session {
    if (this.sessions.size >= this.max) throw new SessionLimitError(`the gateway holds its maximum of ${this.max} sessions`);
    const now = Date.now();
    const session: Session = { ...init, id: randomBytes(16).toString('base64url'), createdAt: now, lastSeen: now, initialized: false };
    this.sessions.set(session.id, session);
    return session;
  }

  /** Returns the live session and marks it used. */
  touch(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (!s.pinned && Date.now() - s.lastSeen > this.ttlMs) {
      this.end(id);
      return undefined;
    }
    s.lastSeen = Date.now();
    return s;
  }

  end(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    this.sessions.delete(id);
    try {
      s.onClose?.();
    } catch {
      // closing a dead stream must not break the caller
    }
    return true;
  }

  /** Ends every session of a server (it was deleted or disabled). */
  endServer(server: string): void {
    for (const s of [...this.sessions.values()]) if (s.server === server) this.end(s.id);
  }

  sweep(): void {
    const cutoff = Date.now() - this.ttlMs;
    for (const s of [...this.sessions.values()]) if (!s.pinned && s.lastSeen < cutoff) this.end(s.id);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.sessions.keys()]) this.end(id);
  }
}
