import { useEffect, useState } from 'react';
import { useSession } from '../../session.js';
import { ErrorBanner, Loading } from '../../components/form.js';
import type { McpServer, Traffic, TrafficBucket } from '../../types.js';

const REFRESH_MS = 5000;
const W = 720;
const H = 160;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

/** A round axis maximum at or above `v` (1, 2, 5 × 10^n). */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Bars of calls per bucket, the failed part in red. */
function CallsChart({ buckets, bucketSeconds }: { buckets: TrafficBucket[]; bucketSeconds: number }) {
  const max = niceMax(Math.max(...buckets.map((b) => b.calls)));
  const step = (W - PAD.left - PAD.right) / buckets.length;
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Requests and errors per ${bucketSeconds} seconds`}>
      <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} className="axis" />
      <text x={PAD.left - 6} y={y(max) + 4} textAnchor="end" className="tick">{max}</text>
      <text x={PAD.left - 6} y={y(0) + 4} textAnchor="end" className="tick">0</text>
      {buckets.map((b, i) =>
        b.calls === 0 ? null : (
          <g key={b.start} data-start={b.start} data-calls={b.calls} data-errors={b.errors}>
            <title>{`${clock(b.start)}: ${b.calls} requests, ${b.errors} errors`}</title>
            <rect x={PAD.left + i * step + 1} width={Math.max(1, step - 2)} y={y(b.calls)} height={y(0) - y(b.calls)} className="bar-ok" />
            {b.errors > 0 && <rect x={PAD.left + i * step + 1} width={Math.max(1, step - 2)} y={y(b.errors)} height={y(0) - y(b.errors)} className="bar-error" />}
          </g>
        ),
      )}
      <text x={PAD.left} y={H - 6} className="tick">{clock(buckets[0].start)}</text>
      <text x={W - PAD.right} y={H - 6} textAnchor="end" className="tick">{clock(buckets[buckets.length - 1].start)}</text>
    </svg>
  );
}

/** Mean latency as a line, the largest per bucket as dots. */
function LatencyChart({ buckets }: { buckets: TrafficBucket[] }) {
  const max = niceMax(Math.max(...buckets.map((b) => b.maxMs)));
  const step = (W - PAD.left - PAD.right) / buckets.length;
  const x = (i: number) => PAD.left + i * step + step / 2;
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  const points = buckets.map((b, i) => (b.calls ? `${x(i)},${y(b.meanMs)}` : '')).filter(Boolean);
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Latency in milliseconds: mean and largest per bucket">
      <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} className="axis" />
      <text x={PAD.left - 6} y={y(max) + 4} textAnchor="end" className="tick">{max} ms</text>
      <text x={PAD.left - 6} y={y(0) + 4} textAnchor="end" className="tick">0</text>
      {points.length > 1 && <polyline points={points.join(' ')} className="line-mean" />}
      {buckets.map((b, i) =>
        b.calls === 0 ? null : (
          <g key={b.start}>
            <title>{`${clock(b.start)}: mean ${b.meanMs.toFixed(1)} ms, max ${b.maxMs.toFixed(1)} ms`}</title>
            <circle cx={x(i)} cy={y(b.meanMs)} r={2.5} className="dot-mean" />
            <circle cx={x(i)} cy={y(b.maxMs)} r={2} className="dot-max" />
          </g>
        ),
      )}
    </svg>
  );
}

/** Requests, errors and latency of this server over the last minutes, refreshed every few seconds. */
export function TrafficTab({ server }: { server: McpServer }) {
  const { api } = useSession();
  const [traffic, setTraffic] = useState<Traffic | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      api.traffic(server.name).then(
        (t) => live && (setTraffic(t), setError(null)),
        (e: unknown) => live && setError(e),
      );
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, server.name]);

  if (!traffic && !error) return <Loading />;
  if (!traffic) return <ErrorBanner error={error} />;
  const b = traffic.buckets;
  const calls = b.reduce((n, x) => n + x.calls, 0);
  const errors = b.reduce((n, x) => n + x.errors, 0);
  const mean = calls ? b.reduce((n, x) => n + x.meanMs * x.calls, 0) / calls : 0;
  const minutes = Math.round((b.length * traffic.bucketSeconds) / 60);
  return (
    <div className="traffic">
      <ErrorBanner error={error} />
      <p className="hint">
        Last {minutes} minutes on this gateway replica, in {traffic.bucketSeconds}-second buckets; refreshed every {REFRESH_MS / 1000} s.
      </p>
      <div className="stats" aria-label="Traffic totals">
        <div className="stat card"><span className="stat-value" data-testid="traffic-calls">{calls}</span><span className="stat-label">requests</span></div>
        <div className="stat card"><span className="stat-value" data-testid="traffic-errors">{errors}</span><span className="stat-label">errors</span></div>
        <div className="stat card"><span className="stat-value">{calls ? `${((errors / calls) * 100).toFixed(1)}%` : '–'}</span><span className="stat-label">error rate</span></div>
        <div className="stat card"><span className="stat-value">{calls ? `${mean.toFixed(1)} ms` : '–'}</span><span className="stat-label">mean latency</span></div>
      </div>
      {calls === 0 ? (
        <p className="muted">No requests in this period yet. Call a tool (Try it) and the chart fills in.</p>
      ) : (
        <>
          <h2>Requests and errors</h2>
          <p className="hint">Blue: requests answered; red: of which failed.</p>
          <CallsChart buckets={b} bucketSeconds={traffic.bucketSeconds} />
          <h2>Latency</h2>
          <p className="hint">Line and blue dots: mean per bucket; amber dots: the slowest request of the bucket.</p>
          <LatencyChart buckets={b} />
        </>
      )}
    </div>
  );
}
