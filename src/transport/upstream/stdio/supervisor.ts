import type { Logger } from '../../../observe/logger.js';
import { UpstreamError } from '../streamable-client.js';
import { StdioProcess, type StdioCommand } from './process.js';

export interface StdioLimits {
  /** Most stdio processes running at once, all services together. */
  maxProcesses: number;
  /** Most stdio processes of one service. */
  maxProcessesPerService: number;
  /** Longest stdout line (one JSON-RPC message) accepted, in bytes. */
  maxLineBytes: number;
  /** SIGTERM to SIGKILL delay when a process is stopped. */
  killGraceMs: number;
  /** A process with nothing to do for this long is stopped (0: never). */
  idleMs: number;
}

/** Refused because a process cap is reached: the client gets 503 `STDIO_PROCESS_LIMIT`. */
export class ProcessLimitError extends UpstreamError {
  constructor(message: string) {
    super('STDIO_PROCESS_LIMIT', 503, message);
  }
}

/**
 * Every stdio process the gateway runs: enforces the caps (total and per service) and stops them
 * all on shutdown. One per gateway; services start processes through it.
 */
export class StdioSupervisor {
  private readonly live = new Set<StdioProcess>();
  private readonly perService = new Map<string, number>();
  private stopping = false;
  private starting = 0;

  constructor(
    readonly limits: StdioLimits,
    private readonly log: Logger,
  ) {}

  /** Processes running or starting. */
  get size(): number {
    return this.live.size + this.starting;
  }

  countOf(service: string): number {
    return this.perService.get(service) ?? 0;
  }

  /** Starts a process for a service, or throws ProcessLimitError / UpstreamError. */
  async start(cmd: StdioCommand): Promise<StdioProcess> {
    if (this.stopping) throw new ProcessLimitError('the gateway is stopping');
    if (this.size >= this.limits.maxProcesses) {
      throw new ProcessLimitError(`the gateway already runs ${this.size} stdio processes (MCPGW_STDIO_MAX_PROCESSES); try again later`);
    }
    const mine = this.countOf(cmd.service);
    const cap = cmd.maxProcesses ?? this.limits.maxProcessesPerService;
    if (mine >= cap) {
      throw new ProcessLimitError(`stdio service "${cmd.service}" already runs ${mine} processes (${cmd.maxProcesses ? 'its maxProcesses' : 'MCPGW_STDIO_MAX_PROCESSES_PER_SERVICE'}); try again later`);
    }
    // Counted before the spawn resolves, so concurrent starts cannot overshoot the caps.
    this.perService.set(cmd.service, mine + 1);
    this.starting++;
    let p: StdioProcess;
    try {
      p = await StdioProcess.start(cmd, { maxLineBytes: this.limits.maxLineBytes, killGraceMs: this.limits.killGraceMs, log: this.log });
    } catch (err) {
      this.uncount(cmd.service);
      throw err;
    } finally {
      this.starting--;
    }
    this.live.add(p);
    void p.exited.then((why) => {
      if (this.live.delete(p)) this.uncount(cmd.service);
      this.log.debug({ service: cmd.service, pid: p.pid, reason: why.message }, 'stdio process ended');
    });
    if (this.stopping) {
      void p.stop();
      throw new ProcessLimitError('the gateway is stopping');
    }
    return p;
  }

  private uncount(service: string): void {
    const n = this.countOf(service) - 1;
    if (n > 0) this.perService.set(service, n);
    else this.perService.delete(service);
  }

  /** Stops every process (SIGTERM, SIGKILL after the grace) and waits until they are gone. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.live].map((p) => p.stop()));
  }
}
