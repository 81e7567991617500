// bench/lib/rounds: interleaved rounds. Every contender is measured once per round, in an order
// that rotates from round to round, so that a disturbance (another process on a shared machine,
// thermal drift) spreads over all of them instead of landing on one; the report takes medians
// over rounds and shows the spread.

/** Runs `measure(item, round)` for every item, `rounds` times, rotating the order each round. */
export async function interleave<I, R>(
  items: readonly I[],
  rounds: number,
  measure: (item: I, round: number) => Promise<R>,
  onResult?: (item: I, round: number, result: R) => void,
): Promise<R[][]> {
  const out: R[][] = items.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < items.length; j++) {
      const i = (j + round) % items.length;
      const item = items[i] as I;
      const r = await measure(item, round);
      (out[i] as R[]).push(r);
      onResult?.(item, round, r);
    }
  }
  return out;
}
