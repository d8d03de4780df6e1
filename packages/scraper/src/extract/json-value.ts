/** A value that survives `JSON.stringify` / `JSON.parse` unchanged: what metadata may hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Turns what a YAML/TOML parser or pdf.js hands back into a {@link JsonValue}: dates become ISO
 * strings, `Map`s objects, non-finite numbers and functions `null`, bigints strings, so that
 * a record stays valid JSON whatever the source held.
 */
export function toJsonValue(value: unknown, depth = 0): JsonValue {
  // Front matter is author-written and shallow; the cap only guards against cyclic aliases.
  if (depth > 64) return null;
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return null;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item, depth + 1));
  if (value instanceof Map) {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of value) out[String(key)] = toJsonValue(item, depth + 1);
    return out;
  }
  if (value instanceof Set) return [...value].map((item) => toJsonValue(item, depth + 1));
  const out: { [key: string]: JsonValue } = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) out[key] = toJsonValue(item, depth + 1);
  }
  return out;
}
