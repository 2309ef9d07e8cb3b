/**
 * Dates on the wire: responses use ISO 8601 UTC with `Z`; requests may give a date-only value
 * or a date-time without offset, both read in the caller's `timezone` (docs/api.md §4).
 */

/** The caller's UTC offset in hours: -12..14 in steps of 0.25. */
export function parseTimezone(raw: string | number | undefined): number | undefined {
  if (raw === undefined || raw === '') return 0;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(value) || value < -12 || value > 14 || !Number.isInteger(value * 4)) return undefined;
  return value;
}

const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Reads a date or date-time into a canonical instant (`YYYY-MM-DDTHH:mm:ss.sssZ`), or undefined
 * when it is not a valid one. Without an offset the value is local time at `timezoneHours`.
 */
export function parseInstant(value: string, timezoneHours: number): string | undefined {
  const m = DATE_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zulu, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Date.UTC maps years 0..99 to 19xx, so set the full year explicitly.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  check.setUTCHours(hour, minute, second, Number(frac.padEnd(3, '0').slice(0, 3)));
  const local = check.getTime();
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined; // 2023-02-30
  let offsetMinutes: number;
  if (zulu) offsetMinutes = 0;
  else if (sign) {
    if (Number(oh) > 14 || Number(om) > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  } else offsetMinutes = timezoneHours * 60;
  const instant = local - offsetMinutes * 60_000;
  if (instant < EARLIEST || instant > LATEST) return undefined; // keeps the text fixed-width

  return new Date(instant).toISOString();
}

/** Canonical instants keep milliseconds (they sort as text); dates users gave drop `.000`. */
export function formatUserInstant(instant: string): string {
  return instant.endsWith('.000Z') ? `${instant.slice(0, -5)}Z` : instant;
}
