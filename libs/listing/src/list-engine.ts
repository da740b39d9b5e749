import type { CallContext, ListQuery, ListSource, Order, VendorCursor, VendorPage } from '@devicegate/core';
import { GatewayError, isGatewayError } from '@devicegate/errors';
import type { FieldSpecs } from './fields.js';
import { compileFilters } from './filter-eval.js';
import type { ListArgs } from './list-args.js';
import { TtlCache, type SharedResumeStore } from './resume-cache.js';

/** One connection's share of a list. */
export interface ListSegment<T> {
  /** The connection id: lists are ordered by it first. */
  connectionId: string;
  provider: string;
  source: ListSource<T>;
}

export interface Unreachable {
  connection_id: string;
  type: string;
  message: string;
}

export interface ListPage<T> {
  items: T[];
  hasMore: boolean;
  totalCount?: number;
  unreachable: Unreachable[];
}

export interface ListRequest<T> {
  /** What is listed (`devices`, `projects`, `messages:<device id>`): part of the resume-cache key. */
  kind: string;
  /**
   * What the caller may see (its connections): part of every cache key, so a position or a count found
   * for one caller never serves another who may see less, even when both ask for the same kind.
   */
  reach: string;
  segments: ListSegment<T>[];
  args: ListArgs;
  fields: FieldSpecs;
}

/** Where one segment stands: items already read but not served, and the vendor cursor after them. */
interface SegmentState<T> {
  connectionId: string;
  buffer: T[];
  cursor: VendorCursor | null;
  started: boolean;
  done: boolean;
}

/** The position right after the last item of a served page, in every segment still to come. */
type Position<T> = SegmentState<T>[];

export interface ListingOptions {
  /** Positions remembered for `after` (default 2,000). */
  maxPositions?: number;
  /** How long a position is remembered (default 15 minutes). */
  positionTtlMs?: number;
  /** How long a computed total count is reused while paging (default 60 s). */
  totalTtlMs?: number;
  /** Vendor calls an `after` that is not remembered may cost to find (default 20). */
  maxScanCalls?: number;
  /** How long finding such an `after` may take (default 10 s). */
  maxScanMs?: number;
  /** Positions and counts kept for every instance as well (with `server.redis_url`). */
  shared?: SharedResumeStore;
}

/** The vendor's largest page: a scan, or a read the gateway filters further, asks for as much per call as the vendor allows. */
const SCAN_PAGE_SIZE = 1000;

/** Fields every item of a segment shares: decided by the engine per segment, never sent to a provider. */
const SEGMENT_FIELDS: ReadonlySet<string> = new Set(['connection_id', 'provider']);

type Identified = { id: string };

/** Items a remembered position may hold (the rest of a vendor page, or of a list read whole to reverse it). */
const MAX_BUFFERED_ITEMS = 5000;

/**
 * Serves Izuma-style pages over any number of connections, whatever each vendor's paging style.
 * Items are ordered by connection id, then by the vendor's own stable order (reversed for DESC).
 * Each served page leaves a position in the resume cache, so the next page continues from it
 * without reading earlier vendor pages again; an `after` that is not remembered is found by scanning.
 */
export class ListingEngine {
  private readonly positions: TtlCache<Position<Identified>>;
  private readonly totals: TtlCache<number>;
  private readonly scanBounds: { calls: number; ms: number };
  private readonly shared?: SharedResumeStore;
  private readonly ttl: { position: number; total: number };

  constructor(options: ListingOptions = {}) {
    this.scanBounds = { calls: options.maxScanCalls ?? 20, ms: options.maxScanMs ?? 10_000 };
    this.ttl = { position: options.positionTtlMs ?? 15 * 60_000, total: options.totalTtlMs ?? 60_000 };
    this.positions = new TtlCache(options.maxPositions ?? 2_000, this.ttl.position);
    this.totals = new TtlCache(options.maxPositions ?? 10_000, this.ttl.total);
    this.shared = options.shared;
  }

  async list<T extends Identified>(request: ListRequest<T>, ctx: CallContext): Promise<ListPage<T>> {
    const { args } = request;
    const segments = [...request.segments].sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0));
    if (args.order === 'DESC') segments.reverse();
    const bySource = new Map(segments.map((s) => [s.connectionId, s]));
    // Where an item comes from is known before any vendor call: a connection these filters exclude is not read,
    // and the providers are asked only about what their vendors can tell.
    const decided = args.filters.filter((f) => SEGMENT_FIELDS.has(f.field));
    const fromSegment = compileFilters(request.fields, decided);
    const excluded = new Set(segments.filter((s) => !fromSegment({ connection_id: s.connectionId, provider: s.provider })).map((s) => s.connectionId));
    const query: ListQuery = {
      filters: args.filters.filter((f) => !SEGMENT_FIELDS.has(f.field)),
      order: args.order,
      pageSize: Math.min(args.limit + 1, SCAN_PAGE_SIZE),
      includeTotal: args.include.has('total_count'),
    };
    const matches = compileFilters(request.fields, args.filters);
    const signature = this.signature(request, segments);
    const unreachable: Unreachable[] = [];
    const reader = new SegmentReader<T>(bySource, query, matches, ctx);

    let position: Position<T>;
    if (args.after === null) {
      position = segments.map((s) => fresh<T>(s.connectionId, excluded.has(s.connectionId)));
    } else {
      const key = `${signature}|${args.after}`;
      const remembered = (this.positions.get(key) ?? (await this.shared?.get(key))) as Position<T> | undefined;
      const scanBounds = { calls: this.scanBounds.calls, until: Date.now() + this.scanBounds.ms };
      position = remembered ? remembered.map(copyState) : await this.scanTo(args.after, segments, excluded, new SegmentReader<T>(bySource, { ...query, pageSize: SCAN_PAGE_SIZE }, matches, ctx, scanBounds));
    }

    /** Reads a segment's next vendor page; with `partial`, a failing connection is named and skipped instead. */
    const advance = async (state: SegmentState<T>): Promise<void> => {
      try {
        await reader.advance(state);
      } catch (error) {
        if (!args.partial) throw attribute(error, bySource.get(state.connectionId)!);
        unreachable.push(describe(error, state.connectionId));
        state.buffer = [];
        state.done = true;
      }
    };

    // Start every segment that has not been read yet at once, so a list over several connections waits for the slowest, not for the sum.
    await Promise.all(position.filter((state) => !state.started).map(advance));

    const items: T[] = [];
    let index = 0;
    while (index < position.length && items.length <= args.limit) {
      const state = position[index];
      if (state.buffer.length === 0) {
        if (state.done) {
          index += 1;
          continue;
        }
        await advance(state);
        continue;
      }
      const take = Math.min(state.buffer.length, args.limit + 1 - items.length);
      items.push(...state.buffer.slice(0, take));
      state.buffer = state.buffer.slice(take);
    }

    const hasMore = items.length > args.limit;
    const page = items.slice(0, args.limit);
    if (hasMore) {
      // The extra item was read to learn that more exist; it opens the next page.
      const last = page[page.length - 1];
      const extra = items[args.limit];
      const rest = position.slice(index);
      rest[0] = { ...rest[0], buffer: [extra, ...rest[0].buffer] };
      // A position holding a whole reversed list is not kept: memory stays bounded, and that `after` is found by scanning.
      if (rest.reduce((n, state) => n + state.buffer.length, 0) <= MAX_BUFFERED_ITEMS) {
        this.positions.set(`${signature}|${last.id}`, rest as Position<Identified>);
        // Kept before the page is answered: the next page may be asked of another instance at once.
        await this.shared?.set(`${signature}|${last.id}`, rest, this.ttl.position);
      }
    }

    const result: ListPage<T> = { items: page, hasMore, unreachable };
    if (query.includeTotal) result.totalCount = await this.total(signature, segments.filter((s) => !excluded.has(s.connectionId)), reader, args.partial, unreachable);
    return result;
  }

  /**
   * Finds `after` by reading its connection from the start, in the vendor's largest pages and within the
   * scan bounds (an unknown `after` must not spend the vendor budget everyone shares); an id outside the
   * result set, or beyond the bounds, is a validation error.
   */
  private async scanTo<T extends Identified>(after: string, segments: ListSegment<T>[], excluded: ReadonlySet<string>, reader: SegmentReader<T>): Promise<Position<T>> {
    const notInSet = () => GatewayError.validation([{ name: 'after', message: 'is not the id of an item of this list' }]);
    const colon = after.indexOf(':');
    const connectionId = colon > 0 ? after.slice(0, colon) : '';
    // A list of one segment (one connection's messages, the connections themselves) needs no prefix to find it.
    const at = segments.length === 1 ? 0 : segments.findIndex((s) => s.connectionId === connectionId);
    if (at < 0 || excluded.has(segments[at].connectionId)) throw notInSet();
    const state = fresh<T>(segments[at].connectionId);
    try {
      for (;;) {
        const found = state.buffer.findIndex((item) => item.id === after);
        if (found >= 0) {
          state.buffer = state.buffer.slice(found + 1);
          break;
        }
        if (state.done) throw notInSet();
        state.buffer = [];
        await reader.advance(state);
      }
    } catch (error) {
      throw attribute(error, segments[at]);
    }
    return [state, ...segments.slice(at + 1).map((s) => fresh<T>(s.connectionId, excluded.has(s.connectionId)))];
  }

  private async total<T extends Identified>(
    signature: string,
    segments: ListSegment<T>[],
    reader: SegmentReader<T>,
    partial: boolean,
    unreachable: Unreachable[],
  ): Promise<number> {
    const counts = await Promise.all(
      segments.map(async (segment) => {
        if (unreachable.some((u) => u.connection_id === segment.connectionId)) return 0;
        const key = `${signature}|total|${segment.connectionId}`;
        const cached = this.totals.get(key) ?? ((await this.shared?.get(key)) as number | undefined);
        if (cached !== undefined) return cached;
        try {
          const count = await reader.count(segment.connectionId);
          this.totals.set(key, count);
          await this.shared?.set(key, count, this.ttl.total);
          return count;
        } catch (error) {
          if (!partial) throw attribute(error, segment);
          unreachable.push(describe(error, segment.connectionId));
          return 0;
        }
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  private signature<T>(request: ListRequest<T>, segments: ListSegment<T>[]): string {
    const filters = [...request.args.filters].map((f) => [f.field, f.op, f.value]).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    return JSON.stringify([request.kind, request.reach, request.args.order, segments.map((s) => s.connectionId), filters]);
  }
}

/** Reads vendor pages of one request's segments, keeping only matching items. */
class SegmentReader<T extends Identified> {
  constructor(
    private readonly segments: Map<string, ListSegment<T>>,
    private readonly query: ListQuery,
    private readonly matches: (item: object) => boolean,
    private readonly ctx: CallContext,
    /** Vendor calls left and the epoch ms they must start by; none when unbounded. */
    private readonly bounds?: { calls: number; until: number },
  ) {}

  private fetch(query: ListQuery, source: ListSource<T>, cursor: VendorCursor | null): Promise<VendorPage<T>> {
    if (this.bounds) {
      if (this.bounds.calls <= 0 || Date.now() >= this.bounds.until) {
        throw GatewayError.validation([{ name: 'after', message: 'was not found within the part of the list devicegate scans for an id it does not remember; page from the start' }]);
      }
      this.bounds.calls -= 1;
    }
    return source.fetchPage(query, cursor, this.ctx);
  }

  /** Reads the next vendor page of a segment into its buffer (the whole list, reversed, when the vendor cannot give the wanted order). */
  async advance(state: SegmentState<T>): Promise<void> {
    const { source } = this.segments.get(state.connectionId)!;
    const plan = source.plan(this.query);
    // Filters left for the gateway drop part of every page: the vendor's largest page saves calls.
    const query = plan.exactTotal || this.query.filters.length === 0 ? this.query : { ...this.query, pageSize: SCAN_PAGE_SIZE };
    state.started = true;
    if (plan.order !== query.order) {
      const all: T[] = [];
      let cursor: VendorCursor | null = null;
      do {
        const page: VendorPage<T> = await this.fetch(query, source, cursor);
        all.push(...page.items.filter(this.matches));
        cursor = page.next;
      } while (cursor !== null);
      state.buffer = all.reverse();
      state.cursor = null;
      state.done = true;
      return;
    }
    const page = await this.fetch(query, source, state.cursor);
    state.buffer = [...state.buffer, ...page.items.filter(this.matches)];
    state.cursor = page.next;
    state.done = page.next === null;
  }

  /** The exact number of matching items of one segment: the vendor's total when it is exact, else a full count. */
  async count(connectionId: string): Promise<number> {
    const { source } = this.segments.get(connectionId)!;
    const plan = source.plan(this.query);
    let cursor: VendorCursor | null = null;
    let count = 0;
    const query: ListQuery = { ...this.query, pageSize: 1000 };
    do {
      const page: VendorPage<T> = await this.fetch(query, source, cursor);
      if (cursor === null && plan.exactTotal && page.total !== undefined) return page.total;
      count += page.items.filter(this.matches).length;
      cursor = page.next;
    } while (cursor !== null);
    return count;
  }
}

/** A segment not read yet; an excluded one is over before it starts. */
const fresh = <T>(connectionId: string, excluded = false): SegmentState<T> => ({ connectionId, buffer: [], cursor: null, started: excluded, done: excluded });
const copyState = <T>(state: SegmentState<T>): SegmentState<T> => ({ ...state, buffer: [...state.buffer] });

function attribute(error: unknown, segment: ListSegment<unknown>): unknown {
  return isGatewayError(error) ? error.withConnection(segment.connectionId, segment.provider) : error;
}

function describe(error: unknown, connectionId: string): Unreachable {
  if (isGatewayError(error)) return { connection_id: connectionId, type: error.type, message: error.message };
  return { connection_id: connectionId, type: 'internal_server_error', message: 'The connection could not be listed.' };
}

export type { Order };
