/** True for a non-null object (arrays included): the first check of any untrusted value. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
