import type { JsonRpcId } from '../../protocol/jsonrpc.js';
import type { Logger } from '../../observe/logger.js';
import type { SseItem } from '../../transport/upstream/sse-client.js';
import type { StdioProcess } from '../../transport/upstream/stdio/process.js';
import { type UpstreamEndpoint, UpstreamError } from '../../transport/upstream/streamable-client.js';
import type { Delivery, MessageChannel } from './channel.js';
import { upstreamErrorJson } from './client-stream.js';
import { idKey, tryParse } from './envelope.js';
import { MessageQueue, stdioEndpoint } from './stdio-channel.js';

type Msg = Record<string, unknown>;

const ACCEPTED: Delivery = { status: 202, headers: { 'content-type': 'text/plain' }, body: 'Accepted' };
/** Restart back-off after a crash: doubles from the first to the last, reset after a long run. */
const FIRST_RESTART_MS = 250;
const MAX_RESTART_MS = 30_000;
const STABLE_RUN_MS = 60_000;

export interface SharedOptions {
  service: string;
  /** Starts a process (the supervisor applies the caps). */
  start: () => Promise<StdioProcess>;
  timeoutMs: number;
  idleMs: number;
  log: Logger;
}

/** A client request in flight on the shared process, under a process-wide id. */
interface Call {
  view: SharedView;
  id: JsonRpcId;
  processId: number;
  /** The progress token as the client chose it, and the one the process sees. */
  token?: { own: unknown; process: number };
}

/** One client session's view of the shared process. */
class SharedView implements MessageChannel {
  readonly endpoint: UpstreamEndpoint;
  readonly queue = new MessageQueue();
  /** Own request id (key) to process id. */
  readonly pending = new Map<string, number>();

  constructor(private readonly shared: SharedProcess) {
    this.endpoint = stdioEndpoint(shared.service);
  }

  items(): AsyncIterable<SseItem> {
    return this.queue;
  }

  deliver(body: string): Promise<Delivery> {
    return this.shared.deliver(this, body);
  }

  reannounce(): void {}

  close(): void {
    this.shared.detach(this);
  }
}

/**
 * `shared` mode: one process serves every session of a service. Request ids and progress tokens
 * become process-wide numbers and are restored on the way back; the gateway initializes the process
 * once (with the first client's parameters) and answers every client's `initialize` from that
 * result. Server requests go to the session with the newest call in flight, progress follows its
 * token, cancellations of server requests follow the request, other notifications go to every
 * session. A crash answers the calls in flight with an error and restarts the process with back-off.
 */
export class SharedProcess {
  private proc?: StdioProcess;
  private ready?: Promise<StdioProcess>;
  private initParams?: unknown;
  private initResult?: unknown;
  private initializing?: Promise<Msg>;
  private initWait?: { id: number; proc: StdioProcess; done: (m: Msg | UpstreamError) => void };
  private readonly views = new Set<SharedView>();
  private readonly calls = new Map<number, Call>();
  private readonly tokens = new Map<string, Call>();
  private readonly serverRequests = new Map<string, SharedView>();
  private lastView?: SharedView;
  private nextId = 1;
  private crashes = 0;
  private notBefore = 0;
  private restartTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private stopped?: UpstreamError;

  constructor(private readonly opts: SharedOptions) {}

  get service(): string {
    return this.opts.service;
  }

  /** The process id of the running process (tests and benchmarks count it). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** A new session's view; starts the process when none runs. */
  async attach(): Promise<MessageChannel> {
    if (this.stopped) throw this.stopped;
    clearTimeout(this.idleTimer);
    await this.ensure();
    const view = new SharedView(this);
    this.views.add(view);
    return view;
  }

  detach(view: SharedView): void {
    if (!this.views.delete(view)) return;
    view.queue.end(null);
    for (const processId of view.pending.values()) {
      const call = this.calls.get(processId);
      if (!call) continue;
      this.forget(call);
      this.proc?.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: processId, reason: 'the client session ended' } })).catch(() => undefined);
    }
    for (const [key, v] of this.serverRequests) if (v === view) this.serverRequests.delete(key);
    if (this.lastView === view) this.lastView = undefined;
    if (this.views.size === 0 && this.opts.idleMs > 0 && !this.stopped) {
      this.idleTimer = setTimeout(() => this.retireIdle(), this.opts.idleMs);
      this.idleTimer.unref();
    }
  }

  /** No session for `idleMs`: the process goes; the next session starts a new one. */
  private retireIdle(): void {
    const proc = this.proc;
    if (!proc || this.views.size) return;
    this.proc = undefined;
    this.ready = undefined;
    this.initializing = undefined;
    this.opts.log.debug({ service: this.service, pid: proc.pid }, 'idle shared stdio process stopped');
    void proc.stop(new UpstreamError('UPSTREAM_RESET', 502, `the shared process of stdio service "${this.service}" was idle and was stopped`));
  }

  /** Stops the process for good (service changed or removed, gateway stopping); sessions end with `reason`. */
  async stop(reason: UpstreamError): Promise<void> {
    if (this.stopped) return;
    this.stopped = reason;
    clearTimeout(this.restartTimer);
    clearTimeout(this.idleTimer);
    const proc = this.proc;
    this.proc = undefined;
    this.ready = undefined;
    this.failCalls(reason);
    for (const v of this.views) v.queue.end(reason);
    this.views.clear();
    if (proc) await proc.stop(reason);
  }

  /** The running, initialized (when a client asked) process; starts one after the back-off. */
  private ensure(): Promise<StdioProcess> {
    if (this.stopped) return Promise.reject(this.stopped);
    this.ready ??= this.launch().catch((err: unknown) => {
      this.ready = undefined;
      // A full cap is not the command's fault: no back-off for it.
      if ((err as UpstreamError).code !== 'STDIO_PROCESS_LIMIT') this.crashed();
      throw err;
    });
    return this.ready;
  }

  private async launch(): Promise<StdioProcess> {
    const wait = this.notBefore - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (this.stopped) throw this.stopped;
    const proc = await this.opts.start();
    if (this.stopped) {
      void proc.stop(this.stopped);
      throw this.stopped;
    }
    const started = Date.now();
    this.proc = proc;
    this.initializing = undefined;
    proc.onLine = (line) => this.fromProcess(line);
    void proc.exited.then((why) => this.exited(proc, why, started));
    if (this.initParams !== undefined) {
      // A restart: initialized again with the parameters the first client gave.
      let failure: UpstreamError | undefined;
      try {
        const answer = await this.initialized(proc);
        if (!('result' in answer)) failure = new UpstreamError('UPSTREAM_BAD_STREAM', 502, `the restarted process of stdio service "${this.service}" refused initialize: ${JSON.stringify(answer.error ?? null).slice(0, 200)}`);
      } catch (err) {
        failure = err as UpstreamError;
      }
      if (failure) {
        if (this.proc === proc) this.proc = undefined;
        void proc.stop(failure);
        throw failure;
      }
    }
    return proc;
  }

  /** The answer to the gateway's one initialize of this process (sent once, shared). */
  private initialized(proc: StdioProcess): Promise<Msg> {
    this.initializing ??= this.initialize(proc).then(
      (answer) => {
        if ('result' in answer) {
          this.initResult = answer.result;
          proc.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })).catch(() => undefined);
        } else this.initializing = undefined;
        return answer;
      },
      (err: unknown) => {
        this.initializing = undefined;
        throw err;
      },
    );
    return this.initializing;
  }

  private initialize(proc: StdioProcess): Promise<Msg> {
    const id = this.nextId++;
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => done(new UpstreamError('UPSTREAM_TIMEOUT', 504, `the process of stdio service "${this.service}" did not answer initialize within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      timer.unref();
      const done = (m: Msg | UpstreamError) => {
        clearTimeout(timer);
        if (this.initWait?.id === id) this.initWait = undefined;
        if (m instanceof UpstreamError) reject(m);
        else resolve(m);
      };
      this.initWait = { id, proc, done };
      proc.write(JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: this.initParams })).catch((err: unknown) => done(err as UpstreamError));
    });
  }

  async deliver(view: SharedView, body: string): Promise<Delivery> {
    if (!this.views.has(view)) throw this.stopped ?? new UpstreamError('UPSTREAM_GONE', 502, `the session with stdio service "${this.service}" ended`);
    const parsed = tryParse(body);
    if (parsed === undefined) {
      view.queue.push(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      return ACCEPTED;
    }
    const out: string[] = [];
    const added: Call[] = [];
    for (const m of (Array.isArray(parsed) ? parsed : [parsed]) as Msg[]) {
      if (!m || typeof m !== 'object') continue;
      const isRequest = typeof m.method === 'string' && m.id !== undefined && m.id !== null;
      if (isRequest && m.method === 'initialize') {
        await this.answerInitialize(view, m);
      } else if (isRequest) {
        const call: Call = { view, id: m.id as JsonRpcId, processId: this.nextId++ };
        const params = m.params as Msg | undefined;
        const meta = params?._meta as Msg | undefined;
        let rewritten: Msg = { ...m, id: call.processId };
        if (meta?.progressToken !== undefined) {
          call.token = { own: meta.progressToken, process: this.nextId++ };
          rewritten = { ...rewritten, params: { ...params, _meta: { ...meta, progressToken: call.token.process } } };
          this.tokens.set(idKey(call.token.process), call);
        }
        this.calls.set(call.processId, call);
        view.pending.set(idKey(call.id), call.processId);
        this.lastView = view;
        added.push(call);
        out.push(JSON.stringify(rewritten));
      } else if (m.method === 'notifications/initialized') {
        // the gateway sent its own once
      } else if (m.method === 'notifications/cancelled') {
        const params = (m.params ?? {}) as Msg;
        const processId = view.pending.get(idKey(params.requestId));
        const call = processId === undefined ? undefined : this.calls.get(processId);
        if (!call) continue;
        this.forget(call);
        out.push(JSON.stringify({ ...m, params: { ...params, requestId: processId } }));
      } else {
        if (typeof m.method !== 'string') this.serverRequests.delete(idKey(m.id));
        out.push(JSON.stringify(m));
      }
    }
    if (out.length === 0) return ACCEPTED;
    try {
      const proc = await this.ensure();
      for (const line of out) await proc.write(line);
    } catch (err) {
      for (const call of added) this.forget(call);
      throw err;
    }
    return ACCEPTED;
  }

  /** Every client's initialize is answered from the process's one initialize result. */
  private async answerInitialize(view: SharedView, m: Msg): Promise<void> {
    if (this.initResult === undefined || !this.proc) {
      this.initParams ??= m.params;
      const proc = await this.ensure();
      const answer = await this.initialized(proc);
      view.queue.push(JSON.stringify({ ...answer, id: m.id }));
      return;
    }
    view.queue.push(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: this.initResult }));
  }

  private forget(call: Call): void {
    this.calls.delete(call.processId);
    call.view.pending.delete(idKey(call.id));
    if (call.token) this.tokens.delete(idKey(call.token.process));
  }

  private fromProcess(line: string): void {
    const parsed = tryParse(line);
    if (Array.isArray(parsed)) for (const m of parsed) this.route(m as Msg, undefined);
    else if (parsed && typeof parsed === 'object') this.route(parsed as Msg, line);
  }

  private route(m: Msg, line: string | undefined): void {
    if (typeof m.method !== 'string') {
      if (this.initWait && m.id === this.initWait.id) return this.initWait.done(m);
      const call = typeof m.id === 'number' ? this.calls.get(m.id) : undefined;
      if (!call) return; // answer to a cancelled call
      this.forget(call);
      call.view.queue.push(JSON.stringify({ ...m, id: call.id }));
      return;
    }
    const json = line ?? JSON.stringify(m);
    if (m.id !== undefined && m.id !== null) {
      const view = this.targetView();
      if (!view) {
        this.proc?.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32603, message: 'no client session is connected to receive this request' } })).catch(() => undefined);
        return;
      }
      this.serverRequests.set(idKey(m.id), view);
      view.queue.push(json);
      return;
    }
    const params = (m.params ?? {}) as Msg;
    if (m.method === 'notifications/progress') {
      const call = this.tokens.get(idKey(params.progressToken));
      if (call) call.view.queue.push(JSON.stringify({ ...m, params: { ...params, progressToken: call.token!.own } }));
      return;
    }
    if (m.method === 'notifications/cancelled') {
      const key = idKey(params.requestId);
      const view = this.serverRequests.get(key);
      this.serverRequests.delete(key);
      view?.queue.push(json);
      return;
    }
    for (const v of this.views) v.queue.push(json);
  }

  /** The session a server request belongs to: the one with the newest call in flight, else the newest. */
  private targetView(): SharedView | undefined {
    if (this.lastView?.pending.size) return this.lastView;
    for (const v of this.views) if (v.pending.size) return v;
    let newest: SharedView | undefined;
    for (const v of this.views) newest = v;
    return this.lastView ?? newest;
  }

  private failCalls(why: UpstreamError): void {
    for (const call of [...this.calls.values()]) {
      this.forget(call);
      call.view.queue.push(upstreamErrorJson(call.id, why.code, why.message));
    }
    this.tokens.clear();
    this.serverRequests.clear();
  }

  private exited(proc: StdioProcess, why: UpstreamError, started: number): void {
    // an earlier process's late exit must not fail the initialize of the one that replaced it
    if (this.initWait?.proc === proc) this.initWait.done(why);
    if (this.proc !== proc) return;
    this.proc = undefined;
    this.ready = undefined;
    this.initializing = undefined;
    this.failCalls(why);
    if (this.stopped) return;
    if (Date.now() - started > STABLE_RUN_MS) this.crashes = 0;
    const delay = this.crashed();
    this.opts.log.warn({ service: this.service, reason: why.message, restartInMs: delay }, 'shared stdio process ended; restarting');
  }

  /** Counts a crash or failed start, sets the back-off, and restarts while sessions are attached. */
  private crashed(): number {
    this.crashes++;
    const delay = Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** (this.crashes - 1));
    this.notBefore = Date.now() + delay;
    clearTimeout(this.restartTimer);
    if (this.views.size && !this.stopped) {
      this.restartTimer = setTimeout(() => {
        if (this.views.size && !this.proc) this.ensure().catch((err: unknown) => this.opts.log.warn({ service: this.service, err: (err as Error).message }, 'shared stdio process did not restart'));
      }, delay);
      this.restartTimer.unref();
    }
    return delay;
  }
}
