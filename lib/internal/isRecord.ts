/** True for a non-null object that is not an array: a JSON object, or an options bag, read from untrusted input. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
