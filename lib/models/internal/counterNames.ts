/**
 * tfjs's `toSnakeCase` (tfjs-layers `utils/generic_utils`), which it uses to prefix automatic layer
 * names; copied because tfjs does not export it.
 */
const toSnakeCase = (name: string): string => {
  const snake = name
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return snake.startsWith('_') ? `private${snake}` : snake;
};

/**
 * The class prefix of a name tfjs gave a layer automatically, or undefined for a name the user chose.
 * tfjs names an unnamed layer `toSnakeCase(className) + '_' + getUid(className)`, and `getUid` appends a
 * process-wide count to the class name: `dense_Dense3`, `conv2d_Conv2D1`. The snake-case check keeps a
 * user's name that merely looks similar (`my_Thing2`) as it is.
 */
export function counterPrefix(name: string): string | undefined {
  const cut = name.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const [prefix, tail] = [name.slice(0, cut), name.slice(cut + 1)];
  // The class may itself end in digits (`Conv1D`), so try every split of the tail into class and count.
  for (let end = tail.length - 1; end > 0 && /\d/.test(tail[end] as string); end--) {
    const className = tail.slice(0, end);
    if (/^[A-Z]/.test(className) && toSnakeCase(className) === prefix) return prefix;
  }
  return undefined;
}

/**
 * Replaces every automatic layer name in `paths` (names split at `/`) by one counted per class within
 * these paths, in order of first appearance: `dense_Dense7` → `dense_1`, the next Dense layer →
 * `dense_2`. Names the user chose are kept. The result depends on the model's structure only, not on
 * how many layers the process made before.
 */
export function renameCounterNames(paths: ReadonlyArray<ReadonlyArray<string>>): ReadonlyArray<ReadonlyArray<string>> {
  const renamed = new Map<string, string>();
  const perClass = new Map<string, number>();
  const rename = (segment: string): string => {
    const known = renamed.get(segment);
    if (known !== undefined) return known;
    const prefix = counterPrefix(segment);
    if (prefix === undefined) return segment;
    const n = (perClass.get(prefix) ?? 0) + 1;
    perClass.set(prefix, n);
    const name = `${prefix}_${n}`;
    renamed.set(segment, name);
    return name;
  };
  return paths.map((path) => path.map(rename));
}
