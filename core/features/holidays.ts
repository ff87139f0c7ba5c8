// Public-holiday calendars computed by rule (no download). A calendar maps a UTC date to a holiday name or
// undefined; new countries plug in through `CALENDARS`.

export type HolidayCalendar = (year: number, month: number /* 1-12 */, day: number) => string | undefined;

const DAY_MS = 86_400_000;

/** Day of week (0 = Sunday) of a UTC date. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The n-th (1-based) given weekday of a month; n = -1 for the last one. */
function nthWeekday(year: number, month: number, dow: number, n: number): number {
  if (n > 0) {
    const first = weekday(year, month, 1);
    return 1 + ((dow - first + 7) % 7) + (n - 1) * 7;
  }
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const lastDow = weekday(year, month, last);
  return last - ((lastDow - dow + 7) % 7);
}

/** Fixed-date holidays are observed on Friday when they fall on Saturday and on Monday when on Sunday. */
function observed(year: number, month: number, day: number): { month: number; day: number; year: number } {
  const dow = weekday(year, month, day);
  const shift = dow === 6 ? -1 : dow === 0 ? 1 : 0;
  const d = new Date(Date.UTC(year, month - 1, day) + shift * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const usCache = new Map<number, Map<string, string>>();

/** US federal holidays (5 U.S.C. 6103) as observed, for one year. Juneteenth from 2021. */
function usFederalYear(year: number): Map<string, string> {
  let m = usCache.get(year);
  if (m) return m;
  m = new Map();
  const add = (month: number, day: number, name: string): void => void m!.set(`${month}-${day}`, name);
  const addObserved = (month: number, day: number, name: string): void => {
    const o = observed(year, month, day);
    if (o.year === year) add(o.month, o.day, name);
  };
  addObserved(1, 1, "New Year's Day");
  // New Year's Day of next year observed on Dec 31 of this year.
  const nextNewYear = observed(year + 1, 1, 1);
  if (nextNewYear.year === year) add(nextNewYear.month, nextNewYear.day, "New Year's Day");
  add(1, nthWeekday(year, 1, 1, 3), 'Birthday of Martin Luther King, Jr.');
  add(2, nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  add(5, nthWeekday(year, 5, 1, -1), 'Memorial Day');
  if (year >= 2021) addObserved(6, 19, 'Juneteenth National Independence Day');
  addObserved(7, 4, 'Independence Day');
  add(9, nthWeekday(year, 9, 1, 1), 'Labor Day');
  add(10, nthWeekday(year, 10, 1, 2), 'Columbus Day');
  addObserved(11, 11, 'Veterans Day');
  add(11, nthWeekday(year, 11, 4, 4), 'Thanksgiving Day');
  addObserved(12, 25, 'Christmas Day');
  usCache.set(year, m);
  return m;
}

export const usFederal: HolidayCalendar = (year, month, day) => usFederalYear(year).get(`${month}-${day}`);

export const CALENDARS: Record<string, HolidayCalendar> = { 'us-federal': usFederal };

/** 1 when the UTC day of `epochMs` is a holiday in `calendar`, 0 when not, NaN when the date is missing. */
export function isHoliday(calendar: HolidayCalendar, epochMs: number): number {
  if (!Number.isFinite(epochMs)) return NaN;
  const d = new Date(epochMs);
  return calendar(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()) === undefined ? 0 : 1;
}
