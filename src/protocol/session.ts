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
  /**
   * Called when the session ends, to close its streams and upstream resources. 'dropped': only this
   * replica lets go of it (idle, shutdown, ended elsewhere); in a cluster others may still serve it.
   */
  onClose?: (how: 'ended' | 'dropped') => void;
  /** What a sealed (cluster) id says about the session, when it was rebuilt from one. */
  claims?: SessionClaims;
}

/** What a cluster session id carries so that another replica can continue the session. */
export interface SessionClaims {
  server: string;
  transport: Session['transport'];
  protocolVersion: ProtocolVersion;
  consumer?: string;
  /** The replica that issued the id. */
  owner: string;
  issuedAt: number;
  /** How a direct-proxy session reaches its backend (ProxyKind), with the backend session and endpoint. */
  kind?: string;
  upstreamId?: string;
  endpoint?: string;
  /** Its streams live on the owner (legacy SSE, bridges): other replicas relay requests there. */
  ownerOnly?: boolean;
}

/** Extra claims a transport puts into a new session's id. */
export type SessionExtras = Pick<SessionClaims, 'kind' | 'upstreamId' | 'endpoint' | 'ownerOnly'>;

/** Issues and checks cluster session ids (src/cluster); absent on a single replica. */
export interface SessionDirectory {
  readonly instanceId: string;
  /** The id of a new session: its claims, sealed. */
  issue(claims: SessionClaims): string;
  /** The claims of an id this replica does not hold; undefined when tampered, foreign, too old or ended. */
  recover(id: string): Promise<SessionClaims | undefined>;
  /** Tells every replica the session ended. */
  ended(id: string): void;
  /** Why no session may open now (a cluster-wide cap), else undefined. */
  full?(): string | undefined;
  /** Keeps the cluster-wide count: a session opened, was used, or ended. */
  counted?(id: string, event: 'opened' | 'seen' | 'closed'): void;
}

export class SessionLimitError extends Error {
  readonly code = 'SESSION_LIMIT';
}

/**
 * In-memory sessions with an idle TTL and a cap; ids are 128-bit random, URL-safe. With a
 * directory (cluster mode) ids are sealed claims, and an id another replica issued is rebuilt here.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  /** Live sessions per consumer, for the per-consumer cap. */
  private readonly perConsumer = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private directory?: SessionDirectory;
  /** When each session was last reported to the directory's count (throttled to a quarter of the TTL). */
  private readonly reported = new WeakMap<Session, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly maxPerConsumer = Number.POSITIVE_INFINITY,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(ttlMs / 4, 1000), 60_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Switches to cluster ids (sealed claims) and rebuilding of sessions other replicas issued. */
  useDirectory(directory: SessionDirectory): void {
    this.directory = directory;
  }

  get clustered(): boolean {
    return this.directory !== undefined;
  }

  has(id: string): boolean {
    return this.sessions.has(id);
  }

  create(init: Omit<Session, 'id' | 'createdAt' | 'lastSeen' | 'initialized'>, extras: SessionExtras = {}): Session {
    if (this.sessions.size >= this.max) throw new SessionLimitError(`the gateway holds its maximum of ${this.max} sessions`);
    const full = this.directory?.full?.();
    if (full) throw new SessionLimitError(full);
    if (init.consumer !== undefined) {
      const held = this.perConsumer.get(init.consumer) ?? 0;
      if (held >= this.maxPerConsumer) throw new SessionLimitError(`consumer "${init.consumer}" holds its maximum of ${this.maxPerConsumer} sessions; end one (DELETE) or let one expire`);
      this.perConsumer.set(init.consumer, held + 1);
    }
    const now = Date.now();
    const id = this.directory
      ? this.directory.issue({ server: init.server, transport: init.transport, protocolVersion: init.protocolVersion, consumer: init.consumer, owner: this.directory.instanceId, issuedAt: now, ownerOnly: init.transport === 'sse' || undefined, ...extras })
      : randomBytes(16).toString('base64url');
    const session: Session = { ...init, id, createdAt: now, lastSeen: now, initialized: false };
    this.sessions.set(session.id, session);
    this.report(session, 'opened');
    return session;
  }

  /** The live session: held here, or (cluster) rebuilt from an id another replica issued. */
  async find(id: string): Promise<Session | undefined> {
    const held = this.touch(id);
    if (held || !this.directory) return held;
    const claims = await this.directory.recover(id);
    if (!claims || claims.ownerOnly) return undefined;
    const raced = this.touch(id);
    if (raced) return raced;
    if (this.sessions.size >= this.max) this.sweep();
    if (this.sessions.size >= this.max) return undefined;
    const now = Date.now();
    const session: Session = { id, server: claims.server, transport: claims.transport, protocolVersion: claims.protocolVersion, consumer: claims.consumer, initialized: true, createdAt: claims.issuedAt, lastSeen: now, claims };
    this.sessions.set(id, session);
    // Counted like a session opened here, so ending it releases what it holds (not refused: it exists already).
    if (claims.consumer !== undefined) this.perConsumer.set(claims.consumer, (this.perConsumer.get(claims.consumer) ?? 0) + 1);
    this.report(session, 'seen');
    return session;
  }

  private report(session: Session, event: 'opened' | 'seen'): void {
    if (!this.directory?.counted) return;
    this.reported.set(session, session.lastSeen);
    this.directory.counted(session.id, event);
  }

  /** Ends a session on every replica (client DELETE, backend gone). */
  endEverywhere(id: string): boolean {
    this.directory?.ended(id);
    return this.end(id);
  }

  /** Returns the live session and marks it used. */
  touch(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (!s.pinned && Date.now() - s.lastSeen > this.ttlMs) {
      this.end(id, this.directory ? 'dropped' : 'ended');
      return undefined;
    }
    s.lastSeen = Date.now();
    if (this.directory?.counted && s.lastSeen - (this.reported.get(s) ?? 0) > this.ttlMs / 4) this.report(s, 'seen');
    return s;
  }

  end(id: string, how: 'ended' | 'dropped' = 'ended'): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    this.sessions.delete(id);
    if (s.consumer !== undefined) {
      const held = (this.perConsumer.get(s.consumer) ?? 1) - 1;
      if (held > 0) this.perConsumer.set(s.consumer, held);
      else this.perConsumer.delete(s.consumer);
    }
    if (how === 'ended') this.directory?.counted?.(id, 'closed');
    try {
      s.onClose?.(how);
    } catch {
      // closing a dead stream must not break the caller
    }
    return true;
  }

  /** Ends every session of a server (it was deleted or disabled). */
  endServer(server: string): void {
    for (const s of [...this.sessions.values()]) if (s.server === server) this.end(s.id);
  }

  /** Idle sessions go; in a cluster only this replica's copy (the client may be on another one). */
  sweep(): void {
    const cutoff = Date.now() - this.ttlMs;
    const how = this.directory ? 'dropped' : 'ended';
    for (const s of [...this.sessions.values()]) if (!s.pinned && s.lastSeen < cutoff) this.end(s.id, how);
  }

  close(): void {
    clearInterval(this.sweeper);
    const how = this.directory ? 'dropped' : 'ended';
    for (const id of [...this.sessions.keys()]) this.end(id, how);
  }
}
