// Days and times as the person reads them, in their own time zone (the browser's): the day
// a message belongs to, the separator's label for it (Today, Yesterday, a date), and the
// time shown beside a message.
import { DAYS } from "./wording.js";

const TIME = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const FULL = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const THIS_YEAR = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  month: "long",
  day: "numeric",
});
const OTHER_YEAR = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  year: "numeric",
  month: "long",
  day: "numeric",
});

// "2026-11-24": the local calendar day of an ISO timestamp, or null when it is not one.
export function dayKey(iso) {
  const when = new Date(iso);
  if (!iso || Number.isNaN(when.getTime())) return null;
  return localKey(when);
}

function localKey(when) {
  const month = String(when.getMonth() + 1).padStart(2, "0");
  const day = String(when.getDate()).padStart(2, "0");
  return `${when.getFullYear()}-${month}-${day}`;
}

// Noon of a day key, local time: a Date well inside that day whatever the DST shift.
function noonOf(key) {
  const [year, month, day] = key.split("-").map(Number);
  return new Date(year, month - 1, day, 12);
}

// The separator's words for a day: Today, Yesterday, else the date (the year only when it
// is not this year's).
export function dayLabel(key, now = new Date()) {
  if (key === localKey(now)) return DAYS.today;
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1, 12);
  if (key === localKey(yesterday)) return DAYS.yesterday;
  const day = noonOf(key);
  return (day.getFullYear() === now.getFullYear() ? THIS_YEAR : OTHER_YEAR).format(day);
}

// Milliseconds until the next local midnight, when "Today" becomes "Yesterday".
export function untilMidnight(now = new Date()) {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  return midnight.getTime() - now.getTime();
}

// A <time> element for a message: the time of day (the separator above says which day),
// and the full date and time on hover.
export function timeElement(iso) {
  const node = document.createElement("time");
  node.dateTime = iso ?? "";
  const when = new Date(iso);
  if (!iso || Number.isNaN(when.getTime())) return node;
  node.textContent = TIME.format(when);
  node.title = FULL.format(when);
  return node;
}

export function fullDate(iso) {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? null : FULL.format(when);
}
