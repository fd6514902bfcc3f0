import * as tf from '@tensorflow/tfjs';

/** The longest rendering an error message carries: a value is summarised, never dumped. */
export const MAX_DESCRIPTION = 120;

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The class of an object, when it is not a plain object or array (`AdamOptimizer`, `Sequential`). */
const className = (value: object): string | undefined => {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' && name !== '' ? name : undefined;
};

/**
 * Renders a value for an error message, in at most {@link MAX_DESCRIPTION} characters: strings quoted,
 * numbers as written (NaN, -Infinity), short arrays inline, a tensor as its dtype and shape, an instance
 * of a class by its class name, a plain object by its first keys. Messages stay one readable line
 * whatever is passed (a `tf.LayersModel` would otherwise be kilobytes of JSON); the value itself is in
 * the error's `input`.
 */
export function describeValue(value: unknown, max = MAX_DESCRIPTION): string {
  return clip(render(value, max), max);
}

function render(value: unknown, max: number): string {
  if (typeof value === 'string') return JSON.stringify(clip(value, Math.max(8, max - 2)));
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]${value.isDisposed ? ' (disposed)' : ''}`;
  if (Array.isArray(value)) return renderList(value.map((v) => render(v, 24)), '[', ']', max);
  const name = className(value as object);
  if (name !== undefined) return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  const keys = Object.keys(value as object);
  if (keys.length === 0) return '{}';
  return renderList(
    keys.map((k) => `${k}: ${render((value as Record<string, unknown>)[k], 24)}`),
    '{ ',
    ' }',
    max,
  );
}

/** Items joined until the budget runs out, then `…` and how many were left out. */
function renderList(items: ReadonlyArray<string>, open: string, close: string, max: number): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const next = `${out}${i === 0 ? '' : ', '}${items[i]}`;
    const rest = items.length - i - 1;
    const tail = rest > 0 ? `, … ${rest} more` : '';
    if ((open + next + tail + close).length > max) return `${open}${out}${out === '' ? '' : ', '}… ${items.length - i} more${close}`;
    out = next;
  }
  return open + out + close;
}
