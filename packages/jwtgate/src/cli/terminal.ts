import { styleText } from 'node:util';

export { describeTime, relativeTime } from '../lib/describe-time.ts';

type Style = Parameters<typeof styleText>[0];

/** Colour only on a TTY, and never with NO_COLOR (styleText checks the stream and the environment). */
export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return styleText(style, text, { stream });
}

export const ok = (text: string) => paint('green', text);
export const bad = (text: string) => paint('red', text);
export const dim = (text: string) => paint('dim', text);
export const bold = (text: string) => paint('bold', text);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
