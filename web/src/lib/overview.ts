/** The local calendar days (YYYY-MM-DD) of the last `days` days, oldest first, ending today. */
export function lastDays(days: number, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i);
    out.push(localDay(d));
  }
  return out;
}

export function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The counts of GET /tickets/counts with a groupBy: each value that has tickets, with their number. */
export type CountGroups = readonly { key: string | null; itemCount: number }[];

/** The count of each of `keys` (0 for a value the answer leaves out: no tickets). */
export function countsByKey<K extends string>(keys: readonly K[], groups: CountGroups | undefined): Record<K, number> {
  const counts = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const group of groups ?? []) if (group.key !== null && group.key in counts) counts[group.key as K] = group.itemCount;
  return counts;
}

/** The count of each of `days` (local days, YYYY-MM-DD), from counts grouped by local day. */
export function countsPerDay(days: readonly string[], groups: CountGroups | undefined): number[] {
  const byDay = countsByKey(days, groups);
  return days.map((day) => byDay[day] ?? 0);
}

/** A "nice" upper bound for a chart axis: 1, 2, 5, 10, 20, 50… at least `max`. */
export function niceCeiling(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}
