import type { Router } from '@devicegate/emulators/kit';
import { API_PREFIX, error, isObject, json, type IottlyRoutes } from './iottly.routes.js';
import type { MessageTypeDefinition } from './iottly.types.js';

/** The prefix the console puts before every keyword: spaces become `_`, commas and dots go. */
export const commandPrefix = (cmdType: string) => cmdType.replace(/ /g, '_').replace(/[,.]/g, '');

/**
 * What the device receives: the command's template (fixed values, `<a|b>` placeholders for choices)
 * with each dotted key applied one level per dot; null and "" leave the placeholder, as in 2017.
 */
function renderCommand(def: MessageTypeDefinition, values: Record<string, unknown>): Record<string, unknown> {
  const inner: Record<string, unknown> = {};
  for (const [keyword, kw] of Object.entries(def.keywords)) {
    inner[keyword] = kw.type === 'FixedValue' ? (kw.value ?? '') : kw.type === 'MultipleChoice' ? `<${(kw.listvalues ?? []).join('|')}>` : `<${keyword}>`;
  }
  const prefix = commandPrefix(def.type);
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === '') continue;
    const path = key.slice(prefix.length + 1).split('.');
    let node = inner;
    for (const segment of path.slice(0, -1)) {
      if (!isObject(node[segment])) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = structuredClone(value);
  }
  return { [def.type]: inner };
}

/** Commands to a device, rendered from the project's declared command types. */
export function iottlyCommandRoutes(router: Router, routes: IottlyRoutes): void {
  router.post(
    `${API_PREFIX}/project/:projectId/device/:deviceId/command`,
    routes.inDevice((req, project, device) => {
      if (req.bodyInvalid || !isObject(req.body)) return error(400, 'request body must be a JSON object');
      const { cmd_type: cmdType, values } = req.body;
      if (typeof cmdType !== 'string' || cmdType === '') return error(400, 'cmd_type is required');
      const def = project.messageType(cmdType);
      if (!def || def.direction !== 'command') return error(400, `cmd_type '${cmdType}' is not a command declared in the project`);
      if (!isObject(values)) return error(400, 'values must be a JSON object');
      const prefix = `${commandPrefix(cmdType)}.`;
      for (const key of Object.keys(values)) {
        if (!key.startsWith(prefix) || key.length === prefix.length) {
          return error(400, `invalid key '${key}': command options must be prefixed by '${prefix}'`);
        }
        const keyword = key.slice(prefix.length).split('.')[0];
        if (!(keyword in def.keywords)) return error(400, `invalid key '${key}': '${keyword}' is not a keyword of ${cmdType}`);
      }
      const now = routes.clock();
      const delivered = renderCommand(def, values);
      routes.commands.push({ projectId: project.info.id, deviceId: device.ID, cmdType, values: structuredClone(values), delivered, receivedAt: now });
      if (routes.echoReplies && cmdType === 'echo' && device.operatingstatus === 'connected') {
        // A connected device's echo handler answers at once; the reply is an ordinary device message.
        routes.addMessage(project, {
          from: device.ID,
          to: project.info.id,
          timestamp: now + 40,
          devicetimestamp: Math.floor(now / 1000) * 1000,
          type: 'userdefined',
          payload: { ECHO: delivered },
        });
      }
      return json(200, { status: 200 });
    }),
  );
}
