import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from '../../../observe/logger.js';
import { UpstreamError } from '../streamable-client.js';

/** What a stdio MCP server is started with (a service's `command`, `args`, `env`, `cwd`). */
export interface StdioCommand {
  service: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** The service's own process cap, when it sets one. */
  maxProcesses?: number;
}

export interface StdioProcessOptions {
  /** Longest line accepted on the child's stdout, in bytes. */
  maxLineBytes: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  killGraceMs: number;
  log: Logger;
}

/** Variables a child gets from the gateway's own environment; nothing else leaks (admin token, secret key). */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'SYSTEMROOT'];
/** Longest stderr line written to the log. */
const MAX_LOG_LINE = 4096;

export function childEnvironment(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of INHERITED_ENV) if (process.env[k] !== undefined) out[k] = process.env[k]!;
  return { ...out, ...env };
}

/**
 * One child process speaking MCP over newline-delimited JSON-RPC on its stdin and stdout (no shell).
 * Each stdout line is handed to `onLine`; a line over the limit or not JSON stops the process with
 * `UPSTREAM_BAD_STREAM`. `exited` resolves with why it ended, whatever the cause.
 */
export class StdioProcess {
  readonly pid: number | undefined;
  readonly exited: Promise<UpstreamError>;
  /** Set once the process is gone or being stopped. */
  failure?: UpstreamError;
  onLine?: (line: string) => void;
  private readonly child: ChildProcessWithoutNullStreams;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private killTimer?: NodeJS.Timeout;
  private resolveExit!: (e: UpstreamError) => void;

  private constructor(
    readonly cmd: StdioCommand,
    private readonly opts: StdioProcessOptions,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    // A process group of its own, so a stop also reaches what the command started (npx, shells).
    this.child = spawn(cmd.command, cmd.args, { cwd: cmd.cwd, env: childEnvironment(cmd.env), stdio: ['pipe', 'pipe', 'pipe'], shell: false, detached: process.platform !== 'win32', windowsHide: true });
    this.pid = this.child.pid;
    const log = opts.log;
    this.child.stdout.on('data', (chunk: Buffer) => this.read(chunk));
    this.child.stdin.on('error', () => undefined); // EPIPE after the child died: reported by 'exit'
    let errTail = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      const lines = (errTail + text).split(/\r?\n/);
      errTail = lines.pop() ?? '';
      if (errTail.length > MAX_LOG_LINE) {
        lines.push(errTail);
        errTail = '';
      }
      for (const l of lines) if (l) log.info({ service: cmd.service, pid: this.pid, stream: 'stderr' }, l.slice(0, MAX_LOG_LINE));
    });
    this.child.once('error', (err: NodeJS.ErrnoException) => {
      this.finish(new UpstreamError('UPSTREAM_UNAVAILABLE', 502, `cannot start the command of stdio service "${cmd.service}": ${err.code ?? err.message}`));
    });
    this.child.once('exit', () => this.killGroup());
    // 'close' comes after the last stdout bytes were read: no answer written before the exit is lost.
    this.child.once('close', (code, signal) => {
      if (errTail) log.info({ service: cmd.service, pid: this.pid, stream: 'stderr' }, errTail.slice(0, MAX_LOG_LINE));
      const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      this.finish(new UpstreamError('UPSTREAM_RESET', 502, `the process of stdio service "${cmd.service}" ${how}`));
    });
  }

  /** Starts the command; resolves once it runs, rejects with a coded error when it cannot start. */
  static async start(cmd: StdioCommand, opts: StdioProcessOptions): Promise<StdioProcess> {
    if (cmd.cwd !== undefined && !fs.statSync(cmd.cwd, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', 502, `working directory of stdio service "${cmd.service}" does not exist: ${cmd.cwd}`);
    }
    const p = new StdioProcess(cmd, opts);
    await new Promise<void>((resolve, reject) => {
      p.child.once('spawn', () => resolve());
      void p.exited.then(reject);
    });
    opts.log.debug({ service: cmd.service, pid: p.pid }, 'stdio process started');
    return p;
  }

  private read(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.partialBytes + piece.length > this.opts.maxLineBytes) return this.overlong();
      const line = (this.partialBytes ? Buffer.concat([...this.partial, piece]) : piece).toString('utf8');
      this.partial = [];
      this.partialBytes = 0;
      this.line(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (this.failure) return;
    }
    if (start < chunk.length) {
      this.partial.push(chunk.subarray(start));
      this.partialBytes += chunk.length - start;
      if (this.partialBytes > this.opts.maxLineBytes) this.overlong();
    }
  }

  private overlong(): void {
    this.stop(new UpstreamError('UPSTREAM_BAD_STREAM', 502, `the process of stdio service "${this.cmd.service}" wrote a line longer than ${this.opts.maxLineBytes} bytes`));
  }

  private line(line: string): void {
    if (line.trim() === '') return;
    try {
      JSON.parse(line);
    } catch {
      this.stop(new UpstreamError('UPSTREAM_BAD_STREAM', 502, `the process of stdio service "${this.cmd.service}" wrote a line that is not JSON: ${line.slice(0, 80)}`));
      return;
    }
    this.onLine?.(line);
  }

  /** Stops reading stdout (the reader is behind); the child blocks once the pipe fills. */
  pause(): void {
    this.child.stdout.pause();
  }

  resume(): void {
    this.child.stdout.resume();
  }

  /** Writes one message as one line; waits while the pipe is full. */
  async write(json: string): Promise<void> {
    if (this.failure) throw this.failure;
    const text = json.includes('\n') ? JSON.stringify(JSON.parse(json)) : json;
    if (!this.child.stdin.write(`${text}\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.child.stdin.off('drain', done);
          this.child.stdin.off('close', done);
          resolve();
        };
        this.child.stdin.once('drain', done);
        this.child.stdin.once('close', done);
      });
    }
    if (this.failure) throw this.failure;
  }

  /** Ends the process: stdin closed and SIGTERM now, SIGKILL after the grace. Resolves when it is gone. */
  stop(reason?: UpstreamError): Promise<UpstreamError> {
    if (!this.failure) {
      this.failure = reason ?? new UpstreamError('UPSTREAM_RESET', 502, `the process of stdio service "${this.cmd.service}" was stopped by the gateway`);
      this.child.stdout.removeAllListeners('data');
      this.child.stdin.end();
      this.signal('SIGTERM');
      this.killTimer = setTimeout(() => this.signal('SIGKILL'), this.opts.killGraceMs);
      this.killTimer.unref();
    }
    return this.exited;
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.pid === undefined) return;
    try {
      if (process.platform !== 'win32') process.kill(-this.pid, sig);
      else this.child.kill(sig);
    } catch {
      this.child.kill(sig);
    }
  }

  private finish(reason: UpstreamError): void {
    clearTimeout(this.killTimer);
    // A stop's reason (bad line, gateway stop) says more than the exit signal it caused.
    const why = this.failure ?? reason;
    this.failure = why;
    this.resolveExit(why);
  }

  /** What the command started may outlive it (and hold the pipes open): the whole group goes. */
  private killGroup(): void {
    if (this.pid === undefined || process.platform === 'win32') return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // no group left
    }
  }
}
