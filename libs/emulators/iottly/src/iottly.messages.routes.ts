import { parseIsoUtc, type Router } from '@devicegate/emulators/kit';
import { matchesFilter, parseFilter, QueryError, type MongoValue } from './iottly.query.js';
import { API_PREFIX, arg, error, json, type IottlyRoutes } from './iottly.routes.js';
import { lowerBound, toHistoryMessage, toMongoDocument, toPaginatedMessage } from './iottly.store.js';
import type { MessageType, StoredMessage } from './iottly.types.js';

/** Strict ISO-8601 date or date-time; a value without a zone is UTC, like the response strings. */
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

function parseTime(value: string): number {
  if (!ISO_RE.test(value)) return Number.NaN;
  let text = value.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00';
  return parseIsoUtc(text);
}

/** A device's messages: the query-filtered history and the paginated API. */
export function iottlyMessageRoutes(router: Router, routes: IottlyRoutes): void {
  router.get(
    `${API_PREFIX}/project/:projectId/messages/:deviceId`,
    routes.inDevice((req, project, device) => {
      const rawNum = arg(req, 'numMessages');
      let limit = 10;
      if (rawNum !== undefined && rawNum !== '') {
        if (!/^\d+$/.test(rawNum) || Number(rawNum) < 1 || Number(rawNum) > 100) {
          return error(400, 'numMessages must be an integer between 1 and 100');
        }
        limit = Number(rawNum);
      }
      let filter: { [key: string]: MongoValue } | undefined;
      const rawQuery = arg(req, 'queryJson');
      if (rawQuery) {
        try {
          filter = parseFilter(rawQuery);
        } catch (e) {
          return error(400, (e as Error).message);
        }
      }
      // The caller's filter is ANDed with the fixed project/device scope, so it can narrow, never widen.
      const list = project.messages.get(device.ID)?.all ?? [];
      const picked: StoredMessage[] = [];
      try {
        for (let i = list.length - 1; i >= 0 && picked.length < limit; i--) {
          if (!filter || matchesFilter(toMongoDocument(list[i]), filter)) picked.push(list[i]);
        }
      } catch (e) {
        if (e instanceof QueryError) return error(400, e.message);
        throw e;
      }
      // Newest N, listed oldest first (sort desc, limit, reverse).
      picked.reverse();
      return json(200, { status: 200, messages: picked.map(toHistoryMessage) });
    }),
  );

  router.get(
    `${API_PREFIX}/project/:projectId/device/:deviceId/messages/paginated`,
    routes.inProject((req, project) => {
      const invalid = (detail: string) => error(400, `Invalid custom query: ${detail}`);
      const int = (name: string, fallback: number, min: number, max: number): number | string => {
        const raw = arg(req, name);
        if (raw === undefined) return fallback;
        if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) return `${name} must be an integer between ${min} and ${max}`;
        return Number(raw);
      };
      // The docs do not say where pages start: 1 by default (the reference's inference), 0 by option.
      const { base, zero = 'rejected' } = routes.paging;
      const lowest = base === 1 && zero !== 'rejected' ? 0 : base;
      let page = int('p', base, lowest, Number.MAX_SAFE_INTEGER);
      if (typeof page === 'string') return invalid(page);
      if (page < base) {
        if (zero === 'empty') return error(404, 'No messages retrieved with the specified parameters');
        page = base;
      }
      const size = int('l', 50, 1, 100);
      if (typeof size === 'string') return invalid(size);
      const type = arg(req, 'type') ?? 'all';
      if (type !== 'all' && type !== 'userdefined' && type !== 'iottlyagent') return invalid('type must be one of all, userdefined, iottlyagent');
      const sort = arg(req, 'sort') ?? 'desc';
      if (sort !== 'asc' && sort !== 'desc') return invalid('sort must be asc or desc');
      const bound = (name: string): number | undefined | string => {
        const raw = arg(req, name);
        if (raw === undefined) return undefined;
        const ms = parseTime(raw);
        return Number.isNaN(ms) ? `${name} must be an ISO-8601 timestamp` : ms;
      };
      const from = bound('from');
      if (typeof from === 'string') return invalid(from);
      const to = bound('to');
      if (typeof to === 'string') return invalid(to);

      // No device check here: the query simply finds no messages for a device outside the project,
      // which this API reports as 404 like any other empty result.
      const list = project.messages.get(req.params.deviceId)?.list(type as MessageType | 'all') ?? [];
      const lo = from === undefined ? 0 : lowerBound(list, from);
      const hi = to === undefined ? list.length : Math.max(lo, lowerBound(list, to));
      const offset = (page - base) * size;
      const items: StoredMessage[] = [];
      if (sort === 'asc') {
        for (let i = lo + offset; i < hi && items.length < size; i++) items.push(list[i]);
      } else {
        for (let i = hi - 1 - offset; i >= lo && items.length < size; i--) items.push(list[i]);
      }
      if (items.length === 0) return error(404, 'No messages retrieved with the specified parameters');
      return json(200, { messages: items.map(toPaginatedMessage) });
    }),
  );
}
