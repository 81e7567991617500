// RFC 7515 5.2 step 4 / RFC 7519 7.2 step 10: a JOSE header or claims set with duplicate member
// names must be rejected (or only the last taken); JSON.parse silently keeps the last one, so a
// token could show one value to us and another to a different parser. We reject.
//
// How: JSON.parse keeps one member per distinct name, so the text has a duplicate exactly when
// it names more members than the parsed value holds. Every member name is followed by a ':'
// outside a string, and no other ':' outside strings exists in JSON, so counting those colons
// counts member names without building any string.

/**
 * An upper bound on the member names of valid JSON text without backslashes, found by looking
 * only at its colons: those whose nearest non-whitespace character before them is a '"'. Every
 * member's colon is one (it follows its name's closing quote). A colon inside a string is one
 * only if the string starts with it (after whitespace), as there is no other '"' before it in
 * the string: claims such as "https://..." are not counted.
 */
function boundMemberNames(text: string): number {
  let names = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let j = i - 1;
    let c = text.charCodeAt(j);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(--j);
    if (c === 0x22) names++;
  }
  return names;
}

/** Counts member names in valid JSON text: the colons that are not inside a string. */
function countMemberNames(text: string): number {
  let names = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) names++;
    else if (c === 0x22) {
      // Jump to the closing quote: the next '"' preceded by an even number of backslashes.
      let j = text.indexOf('"', i + 1);
      for (;;) {
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      i = j;
    }
  }
  return names;
}

/**
 * Members held by a parsed JSON object or array, nested ones included. Only objects and arrays
 * are descended into: most values of a claims set are strings and numbers, and not making a
 * call for each of them halves the walk.
 */
function countMembers(value: object): number {
  let members = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) members += countMembers(item);
    }
    return members;
  }
  for (const key in value) {
    members++;
    const member: unknown = (value as Record<string, unknown>)[key];
    if (typeof member === 'object' && member !== null) members += countMembers(member);
  }
  return members;
}

/**
 * Text with escapes: V8's JSON.parse can decode an escaped member name to another name once
 * earlier input has shaped its map transitions (nodejs/node#63785; any token we parse can do
 * that), so the parsed value cannot vouch for names. Scan the names from the text itself (each
 * decoded alone, as a string), report a repeat in one object, or names the parse does not hold.
 */
function scanMemberNames(text: string, parsed: unknown): boolean {
  const stack: (Set<string> | null)[] = [];
  let top: Set<string> | null = null;
  const all: string[] = [];
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
      const name: string = escaped ? JSON.parse(text.slice(start, i + 1)) : text.slice(start + 1, i);
      if (top.has(name)) return true;
      top.add(name);
      all.push(name);
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
  const held: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) for (const item of value) collect(item);
    else
      for (const key in value) {
        held.push(key);
        collect((value as Record<string, unknown>)[key]);
      }
  };
  collect(parsed);
  if (held.length !== all.length) return true;
  all.sort();
  held.sort();
  return all.some((name, k) => name !== held[k]);
}

/**
 * Reports whether any object in valid JSON `text` repeats a member name (or, for text with
 * escapes, whether `parsed` fails to hold exactly the names the text spells).
 */
export function hasDuplicateMemberNames(text: string, parsed: unknown = JSON.parse(text)): boolean {
  if (text.includes('\\')) return scanMemberNames(text, parsed);
  const members = typeof parsed === 'object' && parsed !== null ? countMembers(parsed) : 0;
  // names >= members, with equality unless a name repeats; bound >= names. So bound === members
  // settles it in one look at the colons; otherwise (a string starts with ':') count exactly.
  return boundMemberNames(text) !== members && countMemberNames(text) !== members;
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
  try {
    if (hasDuplicateMemberNames(text, value)) return undefined;
  } catch {
    return undefined; // nested too deeply to walk (RangeError): not a token we accept
  }
  return value as Record<string, unknown>;
}
