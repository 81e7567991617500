// bench/lib/cpu: CPU time of processes, from /proc. /proc/PID/stat's utime + stime count every
// thread of the process, those that exited included (the libuv pool, V8's GC and compiler
// threads), which /proc/PID/task/*/stat would miss. Linux only; resolution one clock tick (10 ms).

import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** Busy ticks of the whole machine (user + nice + system), from /proc/stat. */
function systemBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
  const [, user, nice, system] = line.trim().split(/\s+/).map(Number) as number[];
  return (user ?? 0) + (nice ?? 0) + (system ?? 0);
}

/** The process group and CPU ticks (user + system, all threads) of one process, or null when gone. */
export function processTicks(pid: number): { pgrp: number; ticks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

export interface CpuUse {
  /** CPU seconds of each watched group over the window (all its processes and threads). */
  readonly groupSeconds: ReadonlyMap<number, number>;
  /** CPU used by processes outside `ours` during the window, in cores (0.25 = a quarter core). */
  readonly otherCores: number;
  readonly seconds: number;
}

/**
 * Starts a window: CPU of the processes in the groups `watch` (each summed over its processes),
 * and of everything else on the machine (all busy time minus this process and the groups in
 * `ours`). Sample now and then (`sample()`) so that a process exiting during the window keeps
 * what it used up to its last sample.
 */
export function watchCpu(
  watch: readonly number[],
  ours: ReadonlySet<number>,
): { sample(): void; end(): CpuUse } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const groupOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const t = processTicks(pid);
    if (t && (pid === process.pid || ours.has(t.pgrp) || watch.includes(t.pgrp))) {
      first.set(pid, t.ticks);
      last.set(pid, t.ticks);
      groupOf.set(pid, t.pgrp);
    }
  }
  const busy0 = systemBusyTicks();
  const started = performance.now();
  const sample = () => {
    for (const pid of first.keys()) {
      const t = processTicks(pid);
      if (t) last.set(pid, t.ticks);
    }
  };
  return {
    sample,
    end() {
      sample();
      let all = 0;
      const groups = new Map<number, number>(watch.map((g) => [g, 0]));
      for (const [pid, t0] of first) {
        const used = (last.get(pid) ?? t0) - t0;
        all += used;
        const g = groupOf.get(pid) as number;
        if (groups.has(g)) groups.set(g, (groups.get(g) as number) + used / TICKS_PER_SECOND);
      }
      const seconds = (performance.now() - started) / 1000;
      return {
        groupSeconds: groups,
        otherCores: Math.max(0, systemBusyTicks() - busy0 - all) / TICKS_PER_SECOND / seconds,
        seconds,
      };
    },
  };
}
