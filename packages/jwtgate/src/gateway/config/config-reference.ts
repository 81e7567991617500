import { CONFIG_SCHEMA } from './schema.ts';

type Node = {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: readonly unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  minItems?: number;
  oneOf?: readonly Node[];
  items?: Node;
  properties?: Record<string, Node>;
  additionalProperties?: boolean | Node;
  required?: readonly string[];
};

function typeOf(node: Node): string {
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.oneOf) return node.oneOf.map(typeOf).join(' or ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'values'}`;
  if (node.type === 'object' && typeof node.additionalProperties === 'object' && !node.properties) {
    return `map of name to ${typeOf(node.additionalProperties)}`;
  }
  return node.type ?? 'value';
}

function rows(node: Node, path: string, out: string[]): void {
  const props = node.properties ?? {};
  for (const [key, child] of Object.entries(props)) {
    if (key === '$schema' && path === '') continue;
    const p = path ? `${path}.${key}` : key;
    const required = node.required?.includes(key) ? 'yes' : '';
    const def = child.default !== undefined ? `\`${JSON.stringify(child.default)}\`` : '';
    const desc = (child.description ?? '').replace(/\|/g, '\\|');
    out.push(`| \`${p}\` | ${typeOf(child)} | ${required} | ${def} | ${desc} |`);
    rows(child, p, out);
    if (child.type === 'array' && child.items?.properties) rows(child.items, `${p}[]`, out);
    if (typeof child.additionalProperties === 'object' && child.additionalProperties.properties) {
      rows(child.additionalProperties, `${p}.<name>`, out);
    }
  }
}

/** The configuration reference, generated from CONFIG_SCHEMA (so it cannot drift from the validator). */
export function renderConfigReference(): string {
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/jwtgate/src/gateway/config/schema.ts by `npm run docs:config`. Do not edit. -->',
    '',
    'One YAML file (`jwtgate.yaml`), validated against [schema/jwtgate.schema.json](../schema/jwtgate.schema.json)',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own interpolation syntax
    '(point your editor at it with `# yaml-language-server: $schema=...`). `${NAME}` in any string is replaced by the',
    'environment variable NAME (`$${` writes a literal `${`); a missing variable is an error. A bad file stops the start',
    'with the file, the path inside it, its line and what was expected.',
    '',
    'Identity headers: a claim that is an array is sent as comma-separated values (`X-User-Roles: billing,admin`);',
    'values outside visible ASCII, `%` and a space at either end are percent-encoded. Client-sent copies of every',
    'configured identity header, every header under `identity_header_prefix`, and the client address, scheme, host,',
    'method and identity headers listed in [security-model.md](security-model.md#the-gateway) are removed before forwarding.',
    '',
    'Limits (`gateway.limits`): what a client sees when it reaches each one is in [security-model.md](security-model.md#the-gateway).',
    '',
    '| key | type | required | default | description |',
    '|---|---|---|---|---|',
  ];
  rows(CONFIG_SCHEMA as unknown as Node, '', out);
  return `${out.join('\n')}\n`;
}

/** The JSON schema as published for editors. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`;
}
