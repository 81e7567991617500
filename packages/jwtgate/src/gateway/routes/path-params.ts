import type { PathPattern } from './path-pattern.ts';

/** Characters a parameter's value may not hold once decoded: separators, controls, DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const UNSAFE = /[/\\\u0000-\u001f\u007f]/;

/**
 * The values of a pattern's `{name}` segments in `path` (which it matches), each percent-decoded
 * exactly once. Null when one is not safe to compare: it does not decode, decodes to a slash,
 * backslash or control character, or is a dot segment. Decoded once: `%2541` is `%41`, never `A`.
 */
export function readPathParams(pattern: PathPattern, path: string): Record<string, string> | null {
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const out: Record<string, string> = Object.create(null);
  for (const { name, index } of pattern.params) {
    const raw = parts[index];
    if (raw === undefined) return null;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (value === '' || value === '.' || value === '..' || UNSAFE.test(value)) return null;
    out[name] = value;
  }
  return out;
}
