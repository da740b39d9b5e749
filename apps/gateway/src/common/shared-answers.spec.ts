import { CallSignal, type CallContext, type VendorRead } from '@devicegate/core';
import type { ClientConfig } from '../config/config.types.js';
import { audienceOf, SharedAnswers } from './shared-answers.js';

/** A caller's context that keeps what it is told, with a signal the test can abort. */
function caller(requestId: string, noCache = false) {
  const reads: VendorRead[] = [];
  const upstream: number[] = [];
  const signal = new CallSignal();
  const ctx: CallContext = { requestId, signal, noCache, recordRead: (read) => reads.push(read), recordUpstream: (ms) => upstream.push(ms) };
  return { ctx, signal, reads, upstream };
}

/** A build the test finishes by hand, counting how often it ran and keeping the context it got. */
function builds() {
  const runs: Array<{ ctx: CallContext; finish(body: unknown): void; fail(error: unknown): void }> = [];
  const build = (ctx: CallContext) =>
    new Promise((resolve, reject) => {
      runs.push({ ctx, finish: resolve, fail: reject });
    });
  return { runs, build };
}

describe('SharedAnswers', () => {
  let generation = 0;
  let answers: SharedAnswers;
  beforeEach(() => {
    generation = 0;
    answers = new SharedAnswers(() => generation);
  });
  /** Two callers asking the same key, one after the other, of a build the test finishes by hand. */
  const twoCallers = () => {
    const { runs, build } = builds();
    const first = caller('r1');
    const second = caller('r2');
    return { runs, build, first, second, a: answers.answer('k', first.ctx, build), b: answers.answer('k', second.ctx, build) };
  };

  it('builds and serialises an answer once for identical requests in flight, and tells each caller its reads', async () => {
    const { runs, build, first, second, a, b } = twoCallers();
    expect(runs).toHaveLength(1);
    // The build reads as the first caller, on a signal of its own.
    expect(runs[0].ctx.requestId).toBe('r1');
    expect(runs[0].ctx.signal).not.toBe(first.signal);
    runs[0].ctx.recordRead!({ connectionId: 'hw', outcome: 'miss', ageMs: 0 });
    runs[0].ctx.recordRead!({ connectionId: 'dt', outcome: 'hit', ageMs: 1200, ttlMs: 1800 });
    runs[0].ctx.recordUpstream(12);
    runs[0].finish({ object: 'list', data: [{ id: 'hw:1' }] });
    expect(await a).toBe('{"object":"list","data":[{"id":"hw:1"}]}');
    expect(await b).toBe(await a);
    expect(first.reads.map((r) => r.outcome)).toEqual(['miss', 'hit']);
    // A caller who joined shared the reads that were not hits; the vendor calls count for the one who made them.
    expect(second.reads).toEqual([
      { connectionId: 'hw', outcome: 'collapsed', ageMs: 0 },
      { connectionId: 'dt', outcome: 'hit', ageMs: 1200, ttlMs: 1800 },
    ]);
    expect(first.upstream).toEqual([12]);
    expect(second.upstream).toEqual([]);

    // Once answered, the next identical request builds afresh.
    const c = answers.answer('k', caller('r3').ctx, build);
    expect(runs).toHaveLength(2);
    runs[1].finish([]);
    expect(await c).toBe('[]');
  });

  it('never shares between different keys', async () => {
    const { runs, build } = builds();
    const a = answers.answer('GET /v1/devices\nalice', caller('r1').ctx, build);
    const b = answers.answer('GET /v1/devices\nbob', caller('r2').ctx, build);
    expect(runs).toHaveLength(2);
    runs[0].finish(1);
    runs[1].finish(2);
    expect([await a, await b]).toEqual(['1', '2']);
  });

  it('lets a caller who asks for live data build its own, which later callers may join', async () => {
    const { runs, build } = builds();
    const a = answers.answer('k', caller('r1').ctx, build);
    const live = answers.answer('k', caller('r2', true).ctx, build);
    const later = answers.answer('k', caller('r3').ctx, build);
    expect(runs).toHaveLength(2);
    expect(runs[1].ctx.noCache).toBe(true);
    runs[0].finish('old');
    runs[1].finish('new');
    expect([await a, await live, await later]).toEqual(['"old"', '"new"', '"new"']);
  });

  it('lets no one join an answer begun before reads were forgotten (a write, a pushed event)', async () => {
    const { runs, build } = builds();
    const before = answers.answer('k', caller('r1').ctx, build);
    generation += 1;
    const after = answers.answer('k', caller('r2').ctx, build);
    expect(runs).toHaveLength(2);
    // The older build ending first leaves the newer one to be joined.
    runs[0].finish('stale');
    expect(await before).toBe('"stale"');
    const third = answers.answer('k', caller('r3').ctx, build);
    expect(runs).toHaveLength(2);
    runs[1].finish('written');
    expect([await after, await third]).toEqual(['"written"', '"written"']);
  });

  it('lets each caller leave on its own, and stops the build only when the last has gone', async () => {
    const { runs, first, second, a, b } = twoCallers();
    const gone = new Error('caller gone');
    first.signal.abort(gone);
    await expect(a).rejects.toBe(gone);
    expect(runs[0].ctx.signal!.aborted).toBe(false);
    second.signal.abort(gone);
    await expect(b).rejects.toBe(gone);
    expect(runs[0].ctx.signal!.aborted).toBe(true);
  });

  it('fails every caller with the build’s error, also one thrown before the build could wait for anything', async () => {
    const { runs, build } = builds();
    const a = answers.answer('k', caller('r1').ctx, build);
    const b = answers.answer('k', caller('r2').ctx, build);
    const failure = new Error('vendor down');
    runs[0].fail(failure);
    await expect(a).rejects.toBe(failure);
    await expect(b).rejects.toBe(failure);

    const bad = new Error('bad query');
    const thrown = answers.answer('q', caller('r3').ctx, () => {
      throw bad;
    });
    await expect(thrown).rejects.toBe(bad);
    // A failed answer is not kept for later callers.
    const next = answers.answer('k', caller('r4').ctx, build);
    expect(runs).toHaveLength(2);
    runs[1].finish(true);
    expect(await next).toBe('true');
  });
});

describe('audienceOf', () => {
  const client = (name: string, scopes: string[], connections: string[]) => ({ name, keySha256: Buffer.alloc(32), scopes: new Set(scopes), connections: new Set(connections) }) as ClientConfig;

  it('tells apart what changes a list: the key, its scopes (hidden vendor fields), the connections it reaches', () => {
    const base = audienceOf(client('app', ['read'], ['hw', 'dt']));
    expect(audienceOf(client('app', ['read'], ['dt', 'hw']))).toBe(base);
    expect(audienceOf(client('other', ['read'], ['hw', 'dt']))).not.toBe(base);
    expect(audienceOf(client('app', ['read', 'passthrough'], ['hw', 'dt']))).not.toBe(base);
    // A token of the key narrowed to one connection sees less.
    expect(audienceOf(client('app', ['read'], ['hw']))).not.toBe(base);
  });
});
