import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreConflictError, type Store } from '../../src/store/types.js';

/** Storage that store instances can be opened on, like several processes sharing one database. */
export interface StoreFixture {
  /** Opens a new, migrated store instance on this fixture's storage. */
  open(): Promise<Store>;
  /** Removes the storage; runs after every store opened here is closed. */
  destroy(): Promise<void>;
}

/** Resolves when check() returns true, or fails after timeoutMs. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/**
 * The behaviour every Store implementation must have. Each test gets fresh storage from
 * createFixture, so implementations are checked against the interface, not against each other.
 */
export function describeStoreContract(label: string, createFixture: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${label}`, () => {
    let fixture: StoreFixture;
    let opened: Store[];
    let store: Store;

    const open = async (): Promise<Store> => {
      const s = await fixture.open();
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      fixture = await createFixture();
      opened = [];
      store = await open();
    });

    afterEach(async () => {
      for (const s of opened) await s.close();
      await fixture.destroy();
    });

    describe('resources', () => {
      it('creates a resource at version 1 and reads it back unchanged', async () => {
        const spec = { protocol: 'http', endpoints: ['127.0.0.1:9000'], nested: { z: 1, a: [true, null, 'ü 漢字 🚀'] } };
        const { resource, created } = await store.put('services', 'petstore', spec);
        expect(created).toBe(true);
        expect(resource).toMatchObject({ kind: 'services', name: 'petstore', spec, version: 1 });
        expect(resource.createdAt).toBe(resource.updatedAt);
        expect(Number.isNaN(Date.parse(resource.createdAt))).toBe(false);

        const read = await store.get('services', 'petstore');
        expect(read).toEqual(resource);
        // Key order survives the round trip (YAML export shows fields as they were written).
        expect(Object.keys(read!.spec)).toEqual(['protocol', 'endpoints', 'nested']);
        expect(Object.keys(read!.spec.nested as object)).toEqual(['z', 'a']);
      });

      it('returns undefined for a missing resource and keeps kinds apart', async () => {
        await store.put('services', 'shared-name', { a: 1 });
        expect(await store.get('services', 'missing')).toBeUndefined();
        expect(await store.get('consumers', 'shared-name')).toBeUndefined();
        expect(await store.list('consumers')).toEqual([]);
        await store.put('consumers', 'shared-name', { b: 2 });
        expect((await store.get('consumers', 'shared-name'))!.spec).toEqual({ b: 2 });
        expect((await store.get('services', 'shared-name'))!.spec).toEqual({ a: 1 });
      });

      it('lists the resources of one kind sorted by name', async () => {
        for (const name of ['charlie', 'alpha', 'bravo']) await store.put('mcp-servers', name, { description: name });
        await store.put('services', 'other', {});
        const listed = await store.list('mcp-servers');
        expect(listed.map((r) => r.name)).toEqual(['alpha', 'bravo', 'charlie']);
        expect(listed.map((r) => r.spec.description)).toEqual(['alpha', 'bravo', 'charlie']);
        expect(listed.every((r) => r.kind === 'mcp-servers')).toBe(true);
      });

      it('replaces the spec on update and increments the version', async () => {
        const first = await store.put('services', 's', { a: 1, b: 2 });
        await new Promise((resolve) => setTimeout(resolve, 5));
        const second = await store.put('services', 's', { c: 3 });
        expect(second.created).toBe(false);
        expect(second.resource.version).toBe(2);
        expect(second.resource.spec).toEqual({ c: 3 });
        expect(second.resource.createdAt).toBe(first.resource.createdAt);
        expect(Date.parse(second.resource.updatedAt)).toBeGreaterThan(Date.parse(first.resource.updatedAt));
        const third = await store.put('services', 's', { c: 4 });
        expect(third.resource.version).toBe(3);
        expect((await store.get('services', 's'))!.version).toBe(3);
      });

      it('treats writing an identical spec as no change', async () => {
        await store.put('services', 's', { a: 1 });
        const revision = await store.revision();
        const audit = await store.listAudit();
        const again = await store.put('services', 's', { a: 1 });
        expect(again.created).toBe(false);
        expect(again.resource.version).toBe(1);
        expect(await store.revision()).toBe(revision);
        expect(await store.listAudit()).toEqual(audit);
      });

      it('deletes a resource once', async () => {
        await store.put('consumers', 'alice', { credentials: [] });
        expect(await store.delete('consumers', 'alice')).toBe(true);
        expect(await store.get('consumers', 'alice')).toBeUndefined();
        expect(await store.delete('consumers', 'alice')).toBe(false);
        expect(await store.list('consumers')).toEqual([]);
        const recreated = await store.put('consumers', 'alice', { credentials: [] });
        expect(recreated.created).toBe(true);
        expect(recreated.resource.version).toBe(1);
      });

      it('refuses bad input with stable codes', async () => {
        expect((await rejection(store.put('widgets' as any, 'x', {}))).code).toBe('STORE_INVALID_KIND');
        expect((await rejection(store.put('services', '', {}))).code).toBe('STORE_INVALID_NAME');
        expect((await rejection(store.put('services', 'x', [] as any))).code).toBe('STORE_INVALID_SPEC');
        expect((await rejection(store.put('services', 'x', null as any))).code).toBe('STORE_INVALID_SPEC');
        const bigint = await rejection(store.put('services', 'x', { n: 1n }));
        expect(bigint.code).toBe('STORE_INVALID_SPEC');
        expect(bigint.message).toContain('services/x');
        expect(await store.list('services')).toEqual([]);
        expect(await store.revision()).toBe(0);
      });
    });

    describe('optimistic concurrency', () => {
      it('writes when expectedVersion matches and refuses with StoreConflictError otherwise', async () => {
        await store.put('services', 's', { v: 1 });
        const ok = await store.put('services', 's', { v: 2 }, { expectedVersion: 1 });
        expect(ok.resource.version).toBe(2);

        const err = await rejection(store.put('services', 's', { v: 3 }, { expectedVersion: 1 }));
        expect(err).toBeInstanceOf(StoreConflictError);
        expect(err.code).toBe('STORE_CONFLICT');
        expect(err.message).toContain('services/s');
        const stored = await store.get('services', 's');
        expect(stored!.spec).toEqual({ v: 2 });
        expect(stored!.version).toBe(2);
      });

      it('uses expectedVersion 0 for "must not exist yet"', async () => {
        const created = await store.put('consumers', 'bob', { n: 1 }, { expectedVersion: 0 });
        expect(created.created).toBe(true);
        expect(await rejection(store.put('consumers', 'bob', { n: 2 }, { expectedVersion: 0 }))).toBeInstanceOf(StoreConflictError);
        expect(await rejection(store.put('consumers', 'carol', { n: 1 }, { expectedVersion: 4 }))).toBeInstanceOf(StoreConflictError);
        expect(await store.get('consumers', 'carol')).toBeUndefined();
        expect((await store.get('consumers', 'bob'))!.spec).toEqual({ n: 1 });
      });

      it('lets exactly one of two racing writers with the same expectedVersion win', async () => {
        const other = await open();
        await store.put('services', 'race', { who: 'nobody' });
        const results = await Promise.allSettled([
          store.put('services', 'race', { who: 'first' }, { expectedVersion: 1 }),
          other.put('services', 'race', { who: 'second' }, { expectedVersion: 1 }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0].reason).toBeInstanceOf(StoreConflictError);
        const stored = await other.get('services', 'race');
        expect(stored!.version).toBe(2);
        expect(stored!.spec).toEqual((won[0] as PromiseFulfilledResult<{ resource: { spec: unknown } }>).value.resource.spec);
      });

      it('does not bump the revision or audit a refused write', async () => {
        await store.put('services', 's', { v: 1 });
        const revision = await store.revision();
        await rejection(store.put('services', 's', { v: 9 }, { expectedVersion: 7 }));
        expect(await store.revision()).toBe(revision);
        expect(await store.listAudit()).toHaveLength(1);
      });
    });

    describe('applyBatch', () => {
      it('applies puts and deletes together', async () => {
        await store.put('services', 'old', { a: 1 });
        await store.put('services', 'keep', { a: 1 });
        const before = await store.revision();
        await store.applyBatch(
          [
            { op: 'put', kind: 'services', name: 'new', spec: { a: 2 } },
            { op: 'put', kind: 'services', name: 'keep', spec: { a: 3 } },
            { op: 'delete', kind: 'services', name: 'old' },
            { op: 'put', kind: 'mcp-servers', name: 'srv', spec: { service: 'new' } },
            { op: 'delete', kind: 'consumers', name: 'never-existed' },
          ],
          { actor: 'apply' },
        );
        expect((await store.list('services')).map((r) => [r.name, r.spec, r.version])).toEqual([
          ['keep', { a: 3 }, 2],
          ['new', { a: 2 }, 1],
        ]);
        expect((await store.get('mcp-servers', 'srv'))!.spec).toEqual({ service: 'new' });
        expect(await store.revision()).toBeGreaterThan(before);
        const audit = await store.listAudit();
        const fromBatch = audit.filter((e) => e.actor === 'apply');
        expect(fromBatch.map((e) => `${e.action} ${e.kind}/${e.name}`).sort()).toEqual(
          ['create mcp-servers/srv', 'create services/new', 'delete services/old', 'update services/keep'].sort(),
        );
      });

      it('leaves nothing behind when a change in the middle of the batch fails', async () => {
        await store.put('services', 'existing', { a: 1 });
        const revision = await store.revision();
        const auditBefore = await store.listAudit();
        const err = await rejection(
          store.applyBatch([
            { op: 'put', kind: 'services', name: 'first', spec: { ok: true } },
            { op: 'delete', kind: 'services', name: 'existing' },
            { op: 'put', kind: 'services', name: 'existing', spec: { a: 2 } },
            { op: 'put', kind: 'consumers', name: 'broken', spec: { n: 10n } as any },
            { op: 'put', kind: 'consumers', name: 'after', spec: {} },
          ]),
        );
        expect(err.code).toBe('STORE_INVALID_SPEC');
        expect(err.message).toContain('change #4 (consumers/broken)');
        expect(await store.get('services', 'first')).toBeUndefined();
        const existing = await store.get('services', 'existing');
        expect(existing!.spec).toEqual({ a: 1 });
        expect(existing!.version).toBe(1);
        expect(await store.list('consumers')).toEqual([]);
        expect(await store.revision()).toBe(revision);
        expect(await store.listAudit()).toEqual(auditBefore);
        // The store is still usable after the rolled-back batch.
        await store.applyBatch([{ op: 'put', kind: 'services', name: 'first', spec: { ok: true } }]);
        expect((await store.get('services', 'first'))!.version).toBe(1);
      });

      it('refuses a batch with an unknown kind before writing anything', async () => {
        const err = await rejection(
          store.applyBatch([
            { op: 'put', kind: 'services', name: 'a', spec: {} },
            { op: 'put', kind: 'gadgets' as any, name: 'b', spec: {} },
          ]),
        );
        expect(err.code).toBe('STORE_INVALID_KIND');
        expect(err.message).toContain('change #2');
        expect(await store.list('services')).toEqual([]);
      });

      it('does not bump the revision for a batch that changes nothing', async () => {
        await store.put('services', 'a', { x: 1 });
        const revision = await store.revision();
        await store.applyBatch([
          { op: 'put', kind: 'services', name: 'a', spec: { x: 1 } },
          { op: 'delete', kind: 'services', name: 'ghost' },
        ]);
        await store.applyBatch([]);
        expect(await store.revision()).toBe(revision);
      });
    });

    describe('revision', () => {
      it('starts at 0 and strictly grows with every write, not with reads', async () => {
        const seen = [await store.revision()];
        expect(seen[0]).toBe(0);
        await store.put('services', 'a', {});
        seen.push(await store.revision());
        await store.put('services', 'a', { changed: true });
        seen.push(await store.revision());
        await store.list('services');
        await store.get('services', 'a');
        expect(await store.revision()).toBe(seen[seen.length - 1]);
        await store.delete('services', 'a');
        seen.push(await store.revision());
        await store.applyBatch([{ op: 'put', kind: 'consumers', name: 'c', spec: {} }]);
        seen.push(await store.revision());
        for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
      });

      it('is shared by every instance on the same storage', async () => {
        const other = await open();
        await store.put('services', 'a', {});
        await other.put('services', 'b', {});
        expect(await store.revision()).toBe(await other.revision());
        expect((await store.list('services')).map((r) => r.name)).toEqual(['a', 'b']);
      });
    });

    describe('watch', () => {
      it('reports own writes at once with the new revision', async () => {
        const calls: number[] = [];
        const stop = store.watch((revision) => calls.push(revision));
        await store.put('services', 'a', { n: 1 });
        // No waiting: an own write is reported before its promise resolves.
        expect(calls).toEqual([await store.revision()]);
        await store.applyBatch([
          { op: 'put', kind: 'services', name: 'b', spec: {} },
          { op: 'put', kind: 'services', name: 'c', spec: {} },
        ]);
        await store.delete('services', 'a');
        expect(calls).toHaveLength(3);
        expect(calls[2]).toBe(await store.revision());
        expect([...calls].sort((x, y) => x - y)).toEqual(calls);
        stop();
        await store.put('services', 'd', {});
        expect(calls).toHaveLength(3);
      });

      it('does not report reads, no-op writes, refused writes or the revision current at subscribe time', async () => {
        await store.put('services', 'a', { n: 1 });
        const calls: number[] = [];
        const stop = store.watch((revision) => calls.push(revision));
        await store.put('services', 'a', { n: 1 });
        await store.delete('services', 'ghost');
        await rejection(store.put('services', 'a', { n: 2 }, { expectedVersion: 9 }));
        await store.list('services');
        await new Promise((resolve) => setTimeout(resolve, 400));
        stop();
        expect(calls).toEqual([]);
      });

      it('reports writes made by another instance on the same storage', async () => {
        const other = await open();
        const calls: number[] = [];
        const stop = store.watch((revision) => calls.push(revision));
        await other.put('mcp-servers', 'remote', { description: 'written elsewhere' });
        const expected = await other.revision();
        await waitFor(() => calls.includes(expected), 8000, 'the other instance write to be reported');
        expect(calls.filter((r) => r === expected)).toHaveLength(1);
        expect((await store.get('mcp-servers', 'remote'))!.spec).toEqual({ description: 'written elsewhere' });
        await other.applyBatch([{ op: 'delete', kind: 'mcp-servers', name: 'remote' }]);
        const next = await other.revision();
        await waitFor(() => calls.includes(next), 8000, 'the second remote write to be reported');
        stop();
      });

      it('keeps other callbacks running when one throws, and unsubscribes each independently', async () => {
        const a: number[] = [];
        const b: number[] = [];
        const stopThrower = store.watch(() => {
          throw new Error('watcher bug');
        });
        const stopA = store.watch((r) => a.push(r));
        const stopB = store.watch((r) => b.push(r));
        await store.put('services', 'x', {});
        expect(a).toHaveLength(1);
        expect(b).toHaveLength(1);
        stopA();
        await store.put('services', 'y', {});
        expect(a).toHaveLength(1);
        expect(b).toHaveLength(2);
        stopB();
        stopThrower();
      });
    });

    describe('audit', () => {
      it('records who changed what, with the specs before and after, newest first', async () => {
        await store.put('services', 's', { v: 1 }, { actor: 'alice' });
        await store.put('services', 's', { v: 2 }, { actor: 'bob' });
        await store.delete('services', 's', { actor: 'carol' });
        await store.put('consumers', 'c', { k: 'enc:v1:abc:xyz' });
        const entries = await store.listAudit();
        expect(entries.map(({ actor, action, kind, name, before, after }) => ({ actor, action, kind, name, before, after }))).toEqual([
          { actor: 'system', action: 'create', kind: 'consumers', name: 'c', before: null, after: { k: 'enc:v1:abc:xyz' } },
          { actor: 'carol', action: 'delete', kind: 'services', name: 's', before: { v: 2 }, after: null },
          { actor: 'bob', action: 'update', kind: 'services', name: 's', before: { v: 1 }, after: { v: 2 } },
          { actor: 'alice', action: 'create', kind: 'services', name: 's', before: null, after: { v: 1 } },
        ]);
        for (let i = 1; i < entries.length; i++) expect(entries[i].id).toBeLessThan(entries[i - 1].id);
        for (const entry of entries) expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
      });

      it('pages with limit and beforeId', async () => {
        for (let i = 0; i < 7; i++) await store.put('services', `s${i}`, { i });
        const all = await store.listAudit();
        expect(all).toHaveLength(7);
        const page1 = await store.listAudit({ limit: 3 });
        expect(page1).toEqual(all.slice(0, 3));
        const page2 = await store.listAudit({ limit: 3, beforeId: page1[2].id });
        expect(page2).toEqual(all.slice(3, 6));
        const page3 = await store.listAudit({ limit: 3, beforeId: page2[2].id });
        expect(page3).toEqual(all.slice(6));
        expect((await rejection(store.listAudit({ limit: 0 }))).code).toBe('STORE_INVALID_SPEC');
      });
    });

    describe('instances', () => {
      it('upserts heartbeats and lists every instance', async () => {
        const started = new Date(Date.now() - 60_000).toISOString();
        const a = { id: 'gw-a', address: '10.0.0.1:8080', version: '0.1.0', startedAt: started, lastHeartbeat: started };
        const b = { id: 'gw-b', address: '10.0.0.2:8080', version: '0.1.0', startedAt: new Date().toISOString(), lastHeartbeat: new Date().toISOString() };
        await store.heartbeat(a);
        await store.heartbeat(b);
        const beat = new Date().toISOString();
        await store.heartbeat({ ...a, lastHeartbeat: beat });
        const other = await open();
        expect(await other.listInstances()).toEqual([{ ...a, lastHeartbeat: beat }, b]);
      });

      it('does not count heartbeats as configuration changes', async () => {
        const calls: number[] = [];
        const stop = store.watch((r) => calls.push(r));
        const now = new Date().toISOString();
        await store.heartbeat({ id: 'gw', address: 'a', version: 'v', startedAt: now, lastHeartbeat: now });
        expect(await store.revision()).toBe(0);
        expect(calls).toEqual([]);
        stop();
      });

      it('prunes instances silent for more than a day and refuses malformed records', async () => {
        const old = new Date(Date.now() - 2 * 24 * 3600_000).toISOString();
        const now = new Date().toISOString();
        await store.heartbeat({ id: 'dead', address: 'a', version: 'v', startedAt: old, lastHeartbeat: old });
        await store.heartbeat({ id: 'alive', address: 'b', version: 'v', startedAt: now, lastHeartbeat: now });
        expect((await store.listInstances()).map((i) => i.id)).toEqual(['alive']);
        const bad = await rejection(store.heartbeat({ id: 'x', address: 'a', version: 'v', startedAt: 'yesterday', lastHeartbeat: now }));
        expect(bad.code).toBe('STORE_INVALID_INSTANCE');
        expect(bad.message).toContain('startedAt');
      });
    });

    describe('lifecycle', () => {
      it('keeps everything across close and reopen', async () => {
        await store.put('services', 'kept', { a: [1, 2, 3] }, { actor: 'alice' });
        await store.put('services', 'kept', { a: [4] });
        const now = new Date().toISOString();
        await store.heartbeat({ id: 'gw', address: 'x', version: '1', startedAt: now, lastHeartbeat: now });
        const revision = await store.revision();
        const audit = await store.listAudit();
        await store.close();
        const reopened = await open();
        const kept = await reopened.get('services', 'kept');
        expect(kept!.spec).toEqual({ a: [4] });
        expect(kept!.version).toBe(2);
        expect(await reopened.revision()).toBe(revision);
        expect(await reopened.listAudit()).toEqual(audit);
        expect((await reopened.listInstances()).map((i) => i.id)).toEqual(['gw']);
        await reopened.put('services', 'kept', { a: [5] });
        expect(await reopened.revision()).toBeGreaterThan(revision);
      });

      it('migrates idempotently and refuses use after close', async () => {
        await store.put('services', 'a', {});
        await store.migrate();
        await store.migrate();
        expect((await store.get('services', 'a'))!.version).toBe(1);
        await store.close();
        await store.close();
        expect((await rejection(store.list('services'))).code).toBe('STORE_CLOSED');
      });
    });
  });
}
