// RFC 7515 5.2 step 4 / RFC 7519 7.2 step 10: a JOSE header or claims set with duplicate member
// names must be rejected (or only the last taken); JSON.parse silently keeps the last one, so a
// token could show one value to us and another to a different parser. We reject.

/** Scans valid JSON text and reports whether any object repeats a member name. */
export function hasDuplicateMemberNames(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  let top: Set<string> | null = null;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      if (top === null) continue;
      let j = i + 1;
      while (j < n) {
        const w = text.charCodeAt(j);
        if (w !== 0x20 && w !== 0x0a && w !== 0x0d && w !== 0x09) break;
        j++;
      }
      if (text.charCodeAt(j) !== 0x3a) continue; // a value, not a member name
      // Compare names as JSON means them: "a" and "\u0061" are the same name.
      const name: string = escaped ? JSON.parse(text.slice(start, i + 1)) : text.slice(start + 1, i);
      if (top.has(name)) return true;
      top.add(name);
    } else if (c === 0x7b) {
      stack.push(top);
      top = new Set();
    } else if (c === 0x5b) {
      stack.push(top);
      top = null;
    } else if (c === 0x7d || c === 0x5d) {
      top = stack.pop() ?? null;
    }
  }
  return false;
}

/** Parses JSON that must be an object without duplicate member names; undefined otherwise. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (hasDuplicateMemberNames(text)) return undefined;
  return value as Record<string, unknown>;
}
