/**
 * The contract's PATCH semantics for labels (API.md §4.4), applied to a vendor's whole label map:
 * a key set to null is removed, other keys are set, keys not named stay.
 */
export function mergeLabels(current: Record<string, string>, patch: Record<string, string | null>): Record<string, string> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
