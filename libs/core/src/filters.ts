/** The Izuma filter operators of API.md §2.6. */
export const FILTER_OPERATORS = ['eq', 'neq', 'in', 'nin', 'lte', 'gte'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** A parsed filter value: date-times as epoch ms, booleans as booleans, `in`/`nin` as arrays. */
export type FilterValue = string | number | boolean | string[];

export interface Filter {
  /** The field, e.g. `name`, `created_at`, `labels.room`. */
  field: string;
  op: FilterOperator;
  value: FilterValue;
  /** The query parameter it came from, for error messages. */
  param: string;
}
