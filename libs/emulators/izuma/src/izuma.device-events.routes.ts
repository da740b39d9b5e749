import type { Router } from '@devicegate/emulators/kit';
import { isPage, parsePage, v3Error, validationError, type IzumaRoutes } from './izuma.routes.js';
import { buildMatcher, paginate } from './izuma.store.js';

/** Device events (`/v3/device-events`). */
export function izumaDeviceEventRoutes(router: Router, routes: IzumaRoutes): void {
  const { store, checked } = routes;
  router
    .get(
      '/v3/device-events/?',
      checked((req, ctx, inspection) => {
        const page = parsePage(req.query);
        if (!isPage(page)) return validationError(ctx.requestId, [page]);
        // Per-device history is the common question; answer it from the per-device index.
        const byDevice = inspection.filters.find((filter) => filter.field === 'device_id' && filter.op === 'eq');
        const source = byDevice ? (store.eventsByDevice.get(byDevice.values[0]) ?? []) : store.sortedEvents;
        const match = buildMatcher(inspection.filters, inspection.operation?.itemProperties ?? {}, (event: { view: Record<string, unknown> }, field) => event.view[field]);
        return { status: 200, body: paginate(source, page, match, (event) => event.view) };
      }),
    )
    .get(
      '/v3/device-events/:eventId/?',
      checked((req, ctx) => {
        const event = store.events.get(req.params.eventId);
        return event ? { status: 200, body: event.view } : v3Error(404, 'not_found', 'Unable to find device event.', ctx.requestId);
      }),
    );
}
