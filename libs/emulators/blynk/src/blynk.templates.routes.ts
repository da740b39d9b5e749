import type { EmulatorRequest, EmulatorResponse, Router } from '@devicegate/emulators/kit';
import { blynkError, intParam, isResponse, pageOf, paging, V1, type BlynkRoutes, type CallContext } from './blynk.routes.js';
import { EVENT_TYPES, type BlynkEventType, type BlynkTemplate, type TemplateDataStream } from './blynk.types.js';

/** The docs' datastream value types for the Console's data types. */
const STREAM_TYPES: Record<TemplateDataStream['dataType'], string> = { Integer: 'INT', Double: 'DOUBLE', String: 'STRING', Location: 'LOCATION' };

/** Templates (the docs' Template Events / Template DataStreams pages: numeric `templateId`, arrays). */
export function blynkTemplateRoutes(router: Router, deps: BlynkRoutes): void {
  const { store, api, queryDevice } = deps;
  /** A template the caller's organization uses: its own, or one of an organization above it. */
  const queryTemplate = (req: EmulatorRequest, ctx: CallContext): BlynkTemplate | EmulatorResponse => {
    const id = intParam(req.query, 'templateId');
    if (id === undefined || Number.isNaN(id)) return blynkError(400, 'Invalid template ID.');
    const template = store.templatesById.get(id);
    if (!template || !(ctx.tree.has(template.orgId) || store.orgTree(template.orgId).has(ctx.orgId))) return blynkError(404, 'Template is not found.');
    return template;
  };

  router.get(
    `${V1}/template/events`,
    api((req, ctx) => {
      const template = queryTemplate(req, ctx);
      if (isResponse(template)) return template;
      return { status: 200, body: template.events.map((e) => ({ id: e.id, name: e.name, eventCode: e.code, type: e.type })) };
    }),
  );

  router.get(
    `${V1}/template/datastreams`,
    api((req, ctx) => {
      const template = queryTemplate(req, ctx);
      if (isResponse(template)) return template;
      const body = template.dataStreams.map((s) => ({
        id: s.id,
        label: s.label,
        alias: s.alias,
        ...(s.units ? { units: s.units } : {}),
        type: STREAM_TYPES[s.dataType],
        pin: Number(s.pin.slice(1)),
        pinType: 'VIRTUAL',
        ...(s.min !== undefined ? { min: s.min } : {}),
        ...(s.max !== undefined ? { max: s.max } : {}),
      }));
      return { status: 200, body };
    }),
  );

  router.get(
    `${V1}/device/online`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      return isResponse(device) ? device : { status: 200, body: { connected: device.connected } };
    }),
  );

  router.get(
    `${V1}/device/tags`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      const tags = device.tagIds.flatMap((id) => {
        const tag = store.tags.get(id);
        return tag ? [{ id: tag.id, name: tag.name, tagOwnerOrgId: tag.orgId }] : [];
      });
      return { status: 200, body: tags };
    }),
  );

  router.get(
    `${V1}/device/timeline`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      const typeRaw = req.query.get('eventType');
      let eventType: BlynkEventType | undefined;
      if (typeRaw) {
        eventType = EVENT_TYPES.find((t) => t === typeRaw.toUpperCase());
        if (!eventType) return blynkError(400, `Unknown event type ${typeRaw}.`);
      }
      // `from`/`to` (epoch ms, inclusive) are not in the reference; they narrow the window the way
      // the Console's timeline does and change nothing when absent.
      const from = intParam(req.query, 'from');
      const to = intParam(req.query, 'to');
      if (Number.isNaN(from) || Number.isNaN(to)) return blynkError(400, 'from and to should be epoch milliseconds.');
      const p = paging(req.query);
      if (isResponse(p)) return p;
      let events = device.timeline;
      if (eventType || from !== undefined || to !== undefined) {
        events = events.filter((e) => (!eventType || e.eventType === eventType) && (from === undefined || e.ts >= from) && (to === undefined || e.ts <= to));
      }
      return pageOf(events, p, (e) => ({ ...e }));
    }),
  );

  router.get(
    `${V1}/device/logs`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      const p = paging(req.query);
      if (isResponse(p)) return p;
      return pageOf(device.logs, p, (entry) => ({ ...entry }));
    }),
  );
}
