/** A JSON object (not null, not an array): what a vendor body or a member of one must be before its keys are read. */
export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
