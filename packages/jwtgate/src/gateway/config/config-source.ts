import { isMap, isScalar, type LineCounter, type Document as YamlDocument } from 'yaml';
import { ConfigError } from '../errors.ts';

/** A place in the configuration: keys and list indexes from the top (`['gateway', 'routes', 0]`). */
export type ConfigPath = readonly (string | number)[];

/** Where the configuration came from: its file and, for a YAML file, the line of every node. */
export interface ConfigSource {
  readonly file: string;
  /** The line of the node at `path` (or of the nearest node above it that exists); undefined without a YAML document. */
  line(path: ConfigPath, options?: { key?: boolean }): number | undefined;
}

/** `gateway.routes[0].match.path` */
export function dottedPath(path: ConfigPath): string {
  return path.reduce<string>(
    (acc, s) => (typeof s === 'number' || /^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s),
    '',
  );
}

/** A source without lines (a configuration built in code, e.g. by a test). */
export function sourceWithoutLines(file: string): ConfigSource {
  return { file, line: () => undefined };
}

/** The lines of a parsed YAML document. `key: true` points at a map key rather than its value. */
export function sourceOfYaml(file: string, doc: YamlDocument, lines: LineCounter): ConfigSource {
  return {
    file,
    line(path, options = {}) {
      for (let n = path.length; n >= 0; n--) {
        const at = path.slice(0, n);
        const wantKey = options.key === true && n === path.length && n > 0;
        const parent = wantKey ? doc.getIn(at.slice(0, -1), true) : null;
        const node = (
          wantKey && isMap(parent)
            ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(at.at(-1)))?.key
            : n === 0
              ? doc.contents
              : doc.getIn(at, true)
        ) as { range?: [number, number, number] | null } | undefined | null;
        if (node?.range) return lines.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

/**
 * The problems found in one configuration, each with its path and line, thrown together as one
 * ConfigError (a file with three mistakes is fixed in one go, not three restarts).
 */
export class ConfigProblems {
  readonly source: ConfigSource;
  readonly #problems: string[] = [];

  constructor(source: ConfigSource) {
    this.source = source;
  }

  /** Records a problem at `path`: `gateway.routes[0].requires (line 12): message`. */
  add(path: ConfigPath, message: string, options?: { key?: boolean }): void {
    const line = this.source.line(path, options);
    const at = dottedPath(path) || '(top level)';
    this.#problems.push(`${at}${line !== undefined ? ` (line ${line})` : ''}: ${message}`);
  }

  /** A problem already worded with its place (YAML syntax errors say their own line). */
  addRaw(message: string): void {
    this.#problems.push(message);
  }

  get count(): number {
    return this.#problems.length;
  }

  /** The ConfigError of every problem recorded. */
  toError(): ConfigError {
    return new ConfigError(this.source.file, this.#problems);
  }

  /** Throws the ConfigError when there is any problem. */
  throwIfAny(): void {
    if (this.#problems.length > 0) throw this.toError();
  }
}
