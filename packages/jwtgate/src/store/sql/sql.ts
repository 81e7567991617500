// Statements are written once, as tagged templates: `sql\`SELECT ... WHERE id = ${id}\``. The values
// never enter the text; each executor renders the placeholders of its database (SQLite `?`,
// PostgreSQL `$1, $2, ...`), so the same statement serves both and cannot be injected into.

/** A statement or a fragment of one: text parts with the values between them. */
export class Sql {
  /** One more part than values: parts[0] value[0] parts[1] ... parts[n]. */
  readonly parts: readonly string[];
  readonly values: readonly unknown[];

  constructor(parts: readonly string[], values: readonly unknown[]) {
    if (parts.length !== values.length + 1) throw new TypeError('jwtgate store: malformed SQL fragment');
    // Nested fragments are spliced in, so the result is flat text and values.
    const flatParts: string[] = [parts[0] as string];
    const flatValues: unknown[] = [];
    values.forEach((value, index) => {
      const next = parts[index + 1] as string;
      if (value instanceof Sql) {
        flatParts[flatParts.length - 1] += value.parts[0] as string;
        flatValues.push(...value.values);
        flatParts.push(...value.parts.slice(1));
        flatParts[flatParts.length - 1] += next;
      } else {
        // A missing value is a bug in the caller, not SQL NULL (which is written as null).
        if (value === undefined) throw new TypeError('jwtgate store: undefined SQL parameter');
        flatValues.push(value);
        flatParts.push(next);
      }
    });
    this.parts = flatParts;
    this.values = flatValues;
  }

  /** The text with `placeholder(n)` (1-based) for each value, and the values in order. */
  render(placeholder: (index: number) => string): { readonly text: string; readonly params: unknown[] } {
    let text = this.parts[0] as string;
    for (let i = 1; i < this.parts.length; i++) text += placeholder(i) + (this.parts[i] as string);
    // Statements written over several lines read the same in logs and pg_stat_activity.
    return { text: text.trim(), params: [...this.values] };
  }
}

/**
 * A parameterized statement.
 *
 * @example
 * const found = await db.row(sql`SELECT name FROM clients WHERE id = ${id}`);
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

/** Trusted text spliced in as is: column lists and dialect fragments, never a value from outside. */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

/** Fragments or values joined by `separator`; values become parameters. */
export function join(items: readonly unknown[], separator = ', '): Sql {
  if (items.length === 0) return raw('');
  const parts = ['', ...Array.from({ length: items.length - 1 }, () => separator), ''];
  return new Sql(parts, items);
}
