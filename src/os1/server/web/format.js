// Dates and numbers in the reader's own language.

const number = new Intl.NumberFormat();
const day = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "long", year: "numeric" });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

export const count = (n) => number.format(n);
export const date = (iso) => day.format(new Date(iso));
export const moment = (iso) => `${date(iso)}, ${clock.format(new Date(iso))}`;

/** A key for the calendar day of a moment, in local time. */
export function dayKey(iso) {
  const at = new Date(iso);
  return `${at.getFullYear()}-${at.getMonth() + 1}-${at.getDate()}`;
}

/** "Today", "Yesterday", or the day itself. */
export function dayName(iso) {
  const key = dayKey(iso);
  const now = new Date();
  if (key === dayKey(now)) return "Today";
  if (key === dayKey(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1))) return "Yesterday";
  const at = new Date(iso);
  return at.getFullYear() === now.getFullYear() ? weekday.format(at) : day.format(at);
}

/** "1 memory", "3 memories". */
export const plural = (n, one, many) => `${count(n)} ${n === 1 ? one : many}`;
