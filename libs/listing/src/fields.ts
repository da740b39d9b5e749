import type { FilterOperator } from '@devicegate/core';

/** How a filterable field's values are read and compared. */
export type FieldKind = 'string' | 'datetime' | 'boolean' | 'tags' | 'label';

export interface FieldSpec {
  kind: FieldKind;
  ops: readonly FilterOperator[];
}

/** The filterable fields of one list; a key `labels.*` stands for every `labels.<key>`. */
export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

const EQ_IN: readonly FilterOperator[] = ['eq', 'neq', 'in', 'nin'];
const DATES: readonly FilterOperator[] = ['eq', 'neq', 'lte', 'gte'];

/** API.md §4, "Filterable fields". */
export const PROJECT_FIELDS: FieldSpecs = {
  id: { kind: 'string', ops: EQ_IN },
  connection_id: { kind: 'string', ops: EQ_IN },
  provider: { kind: 'string', ops: EQ_IN },
  name: { kind: 'string', ops: EQ_IN },
  kind: { kind: 'string', ops: EQ_IN },
};

export const DEVICE_FIELDS: FieldSpecs = {
  id: { kind: 'string', ops: EQ_IN },
  connection_id: { kind: 'string', ops: EQ_IN },
  provider: { kind: 'string', ops: EQ_IN },
  project_id: { kind: 'string', ops: EQ_IN },
  name: { kind: 'string', ops: EQ_IN },
  type: { kind: 'string', ops: EQ_IN },
  serial_number: { kind: 'string', ops: EQ_IN },
  online: { kind: 'boolean', ops: ['eq', 'neq'] },
  created_at: { kind: 'datetime', ops: DATES },
  updated_at: { kind: 'datetime', ops: DATES },
  last_seen_at: { kind: 'datetime', ops: DATES },
  'labels.*': { kind: 'label', ops: EQ_IN },
  tags: { kind: 'tags', ops: EQ_IN },
};

export const MESSAGE_FIELDS: FieldSpecs = {
  created_at: { kind: 'datetime', ops: ['lte', 'gte'] },
  type: { kind: 'string', ops: EQ_IN },
  native_type: { kind: 'string', ops: EQ_IN },
  direction: { kind: 'string', ops: EQ_IN },
};

export const READING_FIELDS: FieldSpecs = {
  name: { kind: 'string', ops: EQ_IN },
  native_name: { kind: 'string', ops: EQ_IN },
  at: { kind: 'datetime', ops: ['lte', 'gte'] },
};

/** The spec of a field name, `labels.<key>` included; undefined when the list does not document it. */
export function fieldSpec(specs: FieldSpecs, field: string): FieldSpec | undefined {
  if (Object.hasOwn(specs, field) && !field.endsWith('.*')) return specs[field];
  if (field.startsWith('labels.') && field.length > 'labels.'.length) return specs['labels.*'];
  return undefined;
}
