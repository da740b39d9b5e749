import type { Filter } from '@devicegate/core';
import { matchingValues, PushDown, valuesOf } from '@devicegate/listing';
import { EVENT_MESSAGE_TYPES, vendorTime } from './izuma.mapper.js';

/**
 * Filters the Izuma vendor evaluates, as query parameters. A parameter named twice is not sent twice (the
 * vendor's reading of that is undocumented): the second is left to the gateway.
 */
export class IzumaPushDown extends PushDown {
  /** Vendor query parameters (`name__eq`, `created_at__gte` …), in the order they were derived. */
  readonly params: Array<[string, string]> = [];
  /** Custom-attribute equalities, which the spec documents only inside the `filter=` parameter. */
  readonly attributes: Array<[string, string]> = [];
  private readonly used = new Set<string>();

  private claim(name: string): boolean {
    if (this.used.has(name)) {
      this.skip();
      return false;
    }
    this.used.add(name);
    return true;
  }

  param(name: string, value: string): void {
    if (this.claim(name)) this.params.push([name, value]);
  }

  attribute(key: string, value: string): void {
    if (this.claim(`custom_attributes__${key}`)) this.attributes.push([key, value]);
  }

  /**
   * A string filter sent as `<field>__<op>`. An empty value is not sent (the mapper turns the vendor's empty
   * strings into null, which no equality matches), nor a list value with a comma (the vendor splits on commas).
   */
  text(vendorField: string, filter: Filter): void {
    const values = valuesOf(filter);
    const isList = filter.op === 'in' || filter.op === 'nin';
    if (!['eq', 'neq', 'in', 'nin'].includes(filter.op) || values.length === 0 || values.some((v) => v === '' || (isList && v.includes(',')))) {
      this.skip();
      return;
    }
    this.param(`${vendorField}__${filter.op}`, values.join(','));
  }

  /** A unified-id filter: values of another connection never match, the rest are sent as native ids. */
  ids(vendorField: string, filter: Filter): void {
    if (!['eq', 'neq', 'in', 'nin'].includes(filter.op)) {
      this.skip();
      return;
    }
    const natives = this.ownIds(filter);
    // Excluding ids of other connections excludes nothing here; naming none of ours was decided by ownIds.
    if (natives.length > 0) this.text(vendorField, { ...filter, value: filter.op === 'eq' || filter.op === 'neq' ? natives[0] : natives });
  }

  /** A date-time bound: only `__gte` / `__lte` are vendor parameters (the spec lists no `__eq` for date-times). */
  time(vendorField: string, filter: Filter): void {
    if ((filter.op === 'gte' || filter.op === 'lte') && typeof filter.value === 'number') this.param(`${vendorField}__${filter.op}`, vendorTime(filter.value, filter.op));
    else this.skip();
  }

  /** A boolean-derived filter mapped to `<field>__eq` / `__neq` of one vendor value. */
  booleanAs(filter: Filter, vendorField: string, vendorValue: string): void {
    if ((filter.op !== 'eq' && filter.op !== 'neq') || typeof filter.value !== 'boolean') {
      this.skip();
      return;
    }
    const positive = (filter.op === 'eq') === filter.value;
    this.param(`${vendorField}__${positive ? 'eq' : 'neq'}`, vendorValue);
  }

  /**
   * The vendor query. The documented direct parameters carry everything, except custom attributes, which the
   * spec documents only inside `filter=`; when one is present, the whole filter goes into `filter=` (the spec's
   * multi-field form) rather than mixing both styles, whose combination the spec leaves open.
   */
  query(): Array<[string, string]> {
    if (this.attributes.length === 0) return this.params;
    const inner = new URLSearchParams([...this.params, ...this.attributes.map(([key, value]): [string, string] => [`custom_attributes__${key}`, value])]);
    return [['filter', inner.toString()]];
  }
}

/** Custom attribute keys start with a letter (spec); `__` inside a key would read as an operator. */
const PUSHABLE_ATTRIBUTE_KEY = /^[A-Za-z](?:[A-Za-z0-9-]|_(?!_))*$/;

/**
 * Device filters → `GET /v3/devices` parameters (reference §3.7, spec `x-filter`):
 *
 * | contract filter                          | vendor parameter                                  |
 * |------------------------------------------|---------------------------------------------------|
 * | `id` eq/neq/in/nin                       | `id__eq/__neq/__in/__nin` (native ids)            |
 * | `project_id` eq/neq/in/nin               | `account_id__…` (a device's project is its account)|
 * | `name`, `serial_number` eq/neq/in/nin    | `name__…`, `serial_number__…`                     |
 * | `type` eq/neq/in/nin                     | `device_class__…`                                 |
 * | `online` eq/neq                          | `state__eq=registered` / `state__neq=registered`  |
 * | `created_at`, `updated_at` gte/lte       | `created_at__gte/__lte`, `updated_at__gte/__lte`  |
 * | `labels.<key>` eq                        | `custom_attributes__<key>=<value>` in `filter=`   |
 * | `tags`, `last_seen_at`                   | known without asking (tags are `[]`, `last_seen_at` null) |
 *
 * Everything else (`labels.*` neq/in/nin, date-time eq/neq) is left to the gateway.
 */
export function devicePushDown(filters: readonly Filter[], connectionId: string): IzumaPushDown {
  const push = new IzumaPushDown(connectionId);
  for (const filter of filters) {
    switch (filter.field) {
      case 'id':
        push.ids('id', filter);
        break;
      case 'project_id':
        push.ids('account_id', filter);
        break;
      case 'name':
        push.text('name', filter);
        break;
      case 'serial_number':
        push.text('serial_number', filter);
        break;
      case 'type':
        push.text('device_class', filter);
        break;
      case 'online':
        push.booleanAs(filter, 'state', 'registered');
        break;
      case 'created_at':
      case 'updated_at':
        push.time(filter.field, filter);
        break;
      case 'last_seen_at':
        // Always null: a comparison never matches, `neq` always does.
        push.verdict(filter.op === 'neq' ? 'all' : 'none');
        break;
      case 'tags':
        // Always []: "has tag" never matches, "lacks tag" always does.
        push.verdict(filter.op === 'neq' || filter.op === 'nin' ? 'all' : 'none');
        break;
      default:
        if (filter.field.startsWith('labels.')) {
          const key = filter.field.slice('labels.'.length);
          if (filter.op === 'eq' && typeof filter.value === 'string' && filter.value !== '' && PUSHABLE_ATTRIBUTE_KEY.test(key)) push.attribute(key, filter.value);
          else if (filter.op === 'eq' && !/^[A-Za-z]/.test(key)) push.verdict('none');
          else push.skip();
        } else push.skip();
    }
  }
  return push;
}

/**
 * Message filters → `GET /v3/device-events` parameters:
 *
 * | contract filter                | vendor parameter                                         |
 * |--------------------------------|----------------------------------------------------------|
 * | `created_at` gte/lte           | `date_time__gte/__lte`                                   |
 * | `native_type` eq/neq/in/nin    | `event_type__eq/__neq/__in/__nin`                        |
 * | `type` eq/neq/in/nin           | `state_change__eq=true` / `state_change__neq=true` (see `eventMessageType`) |
 * | `direction`                    | known without asking (always `uplink`)                   |
 */
export function eventPushDown(filters: readonly Filter[], connectionId: string): IzumaPushDown {
  const push = new IzumaPushDown(connectionId);
  for (const filter of filters) {
    switch (filter.field) {
      case 'created_at':
        push.time('date_time', filter);
        break;
      case 'native_type':
        push.text('event_type', filter);
        break;
      case 'direction':
        push.constant(filter, ['uplink']);
        break;
      case 'type': {
        const matching = matchingValues(filter, EVENT_MESSAGE_TYPES);
        if (matching === undefined) push.skip();
        else if (matching.length === 0) push.verdict('none');
        else if (matching.length === EVENT_MESSAGE_TYPES.length) push.verdict('all');
        else push.param(matching[0] === 'status' ? 'state_change__eq' : 'state_change__neq', 'true');
        break;
      }
      default:
        push.skip();
    }
  }
  return push;
}
