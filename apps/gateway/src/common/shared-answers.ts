import { awaitShared, startShared, type CallContext, type SharedWork, type VendorRead } from '@devicegate/core';
import type { ClientConfig } from '../config/config.types.js';
import { reachOf } from '../connections/connection-registry.js';

interface Answer extends SharedWork<string> {
  /** The registry's read generation when it started: once that has moved on, it may be stale and no one joins it. */
  generation: number;
  /** Its vendor reads, told to every caller it answers. */
  reads: VendorRead[];
}

/** Everything an answer of a list depends on besides its URL: who asks, what they may reach and see. */
const audiences = new WeakMap<ClientConfig, string>();
export function audienceOf(client: ClientConfig): string {
  let audience = audiences.get(client);
  if (audience === undefined) {
    audience = `${client.name}\n${[...client.scopes].sort().join(',')}\n${reachOf(client)}`;
    audiences.set(client, audience);
  }
  return audience;
}

/**
 * Identical requests of one key in flight together get one answer, built and serialised once.
 *
 * Why: their vendor reads are shared already (http-client coalesces identical reads), so all of them are
 * answered in the same instant — and then each caller mapped, merged and serialised the same pages, one
 * after another. 32 dashboards asking the same five-vendor list waited for 31 others' CPU after the
 * vendors had answered (p50 75 ms where the vendors took 50). Built once, the waiting is one build.
 *
 * The rules are those of the shared vendor reads: a caller who wants live data (`Cache-Control:
 * no-cache`) starts its own; an answer being built when a read was forgotten (a write, a pushed event) is
 * joined by no one after that; each caller can leave on its own and the work stops when the last has
 * gone. Each caller is told the answer's vendor reads (its `Cache-Status`), as `collapsed` where they
 * were not cache hits; the vendor calls themselves count for the caller that made them.
 */
export class SharedAnswers {
  private answers = Object.create(null) as Record<string, Answer>;

  constructor(private readonly readGeneration: () => number) {}

  /** The JSON of what `build` answers for `key`, built by this caller or shared with an identical one in flight. */
  answer(key: string, ctx: CallContext, build: (shared: CallContext) => unknown): Promise<string> {
    const generation = this.readGeneration();
    const found = ctx.noCache ? undefined : this.answers[key];
    if (found && found.generation === generation) {
      return awaitShared(found, ctx.signal).then((payload) => {
        for (const read of found.reads) ctx.recordRead?.(read.outcome === 'hit' ? read : { ...read, outcome: 'collapsed' });
        return payload;
      });
    }
    const reads: VendorRead[] = [];
    const recordRead = (read: VendorRead) => {
      reads.push(read);
      ctx.recordRead?.(read);
    };
    // A build that throws at once (a bad query) fails its callers like one that fails later.
    const started = startShared(ctx, (shared) => new Promise((resolve) => resolve(build(shared))).then((body) => JSON.stringify(body)), { noCache: ctx.noCache, recordRead });
    const created: Answer = { ...started, generation, reads };
    this.answers[key] = created;
    const done = () => {
      if (this.answers[key] === created) delete this.answers[key];
    };
    created.promise.then(done, done);
    return awaitShared(created, ctx.signal);
  }
}
