// How numbers, sizes, times and durations read on the page. Times are the browser's local time, written
// year first (unambiguous at 3 a.m.); the header says which time zone that is.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  if (n === null || n === undefined) {
    return 'unknown';
  }
  let value = Number(n);
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A duration in words: 41 s, 2 min 5 s, 3 h 12 min, 2 d 4 h. */
export function duration(seconds) {
  let s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) {
    return `${s} s`;
  }
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hrs = Math.floor(s / 3600);
  s -= hrs * 3600;
  const min = Math.floor(s / 60);
  s -= min * 60;
  if (d > 0) {
    return hrs > 0 ? `${d} d ${hrs} h` : `${d} d`;
  }
  if (hrs > 0) {
    return min > 0 ? `${hrs} h ${min} min` : `${hrs} h`;
  }
  return s > 0 ? `${min} min ${s} s` : `${min} min`;
}

/** A restore time: seconds with one decimal, as the API measured it, and in words when it is long. */
export function rto(seconds) {
  const exact = `${Number(seconds).toFixed(1)} s`;
  return seconds >= 60 ? `${exact} (${duration(seconds)})` : exact;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** 2026-05-01 03:12:05, local time. */
export function time(value) {
  if (!value) {
    return 'unknown';
  }
  const t = new Date(value);
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} `
      + `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}

/** How long before now, in words: "12 s ago". */
export function ago(value, now) {
  if (!value) {
    return 'never';
  }
  const seconds = (now - new Date(value).getTime()) / 1000;
  return seconds < 0 ? `in ${duration(-seconds)}` : `${duration(seconds)} ago`;
}

/** An ISO-8601 duration (PT24H, P1D, PT30M) in seconds, or null. */
export function isoSeconds(text) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text || '');
  if (!m) {
    return null;
  }
  return (Number(m[1] || 0) * 86400) + (Number(m[2] || 0) * 3600) + (Number(m[3] || 0) * 60) + Number(m[4] || 0);
}

export function shortId(id) {
  return id ? String(id).slice(0, 8) : '';
}

export function zoneName() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  const offset = -new Date().getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return `${zone} (UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)})`;
}

export function plural(n, word, words) {
  return `${n} ${n === 1 ? word : (words || `${word}s`)}`;
}
