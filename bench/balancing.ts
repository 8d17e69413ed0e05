import http from 'node:http';
import { Pool } from 'undici';
import { ServiceEndpoints } from '../src/transport/upstream/http-pool.js';

/**
 * Cost of the balancer on the request path: requests through ServiceEndpoints (pick, in-flight and
 * health bookkeeping, retry wrapper) against the same requests on a bare undici Pool, both to one
 * loopback backend. Prints the time ratio (1.00 = no overhead).
 */
export async function run(): Promise<void> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const total = 20_000;
  const concurrency = 32;
  const measure = async (send: () => Promise<unknown>): Promise<number> => {
    const started = process.hrtime.bigint();
    let sent = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent++ < total) await send();
      }),
    );
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const pool = new Pool(`http://${address}`, { connections: 256 });
  const balanced = new ServiceEndpoints('bench', 'http', [{ address, weight: 1 }], {}, { policy: 'least-request' });
  const bare = () => pool.request({ path: '/', method: 'GET' }).then((r) => r.body.text());
  const viaBalancer = () => {
    const ep = balanced.pick()!;
    return ep.dispatcher.request({ origin: ep.origin, path: '/', method: 'GET' }).then((r) => r.body.text());
  };
  await measure(bare);
  await measure(viaBalancer);
  const ratios: number[] = [];
  for (let round = 0; round < 3; round++) {
    const a = await measure(bare);
    const b = await measure(viaBalancer);
    ratios.push(b / a);
    console.log(`round ${round + 1}: bare pool ${a.toFixed(0)} ms, balancer ${b.toFixed(0)} ms for ${total} requests (ratio ${(b / a).toFixed(3)})`);
  }
  ratios.sort((x, y) => x - y);
  console.log(`balancing: median time ratio balancer/bare pool = ${ratios[1].toFixed(3)}`);
  await pool.close();
  await balanced.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}
