const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** A size in bytes with a binary unit and three significant digits: "512 B", "23.4 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${byteUnits[unit]}`;
}

/** A transfer rate: "8.10 MiB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** A length of time: "0.35 s", "24.0 s", "3 min 05 s", "2 h 04 min". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const min = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  if (h > 0) return `${h} h ${String(min).padStart(2, '0')} min`;
  return `${min} min ${String(s).padStart(2, '0')} s`;
}

/** A message rate in hertz with the precision rates are usually quoted at. */
export function formatHz(hz: number | null): string {
  if (hz === null || !Number.isFinite(hz)) return '—';
  return `${hz >= 100 ? hz.toFixed(0) : hz >= 1 ? hz.toFixed(1) : hz.toFixed(2)} Hz`;
}

/** A count with thousands separators. */
export function formatCount(count: number | null, locale?: string): string {
  return count === null ? '—' : count.toLocaleString(locale);
}

/** Seconds from a recording's start as "m:ss" (or "h:mm:ss"), for positions within a drive. */
export function formatOffset(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const min = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(min).padStart(2, '0')}:${s}` : `${min}:${s}`;
}

/** A latitude and longitude in degrees with hemisphere letters: "48.1374° N, 11.5755° E". */
export function formatPosition(lat: number, lon: number): string {
  const part = (value: number, positive: string, negative: string) =>
    `${Math.abs(value).toFixed(4)}° ${value >= 0 ? positive : negative}`;
  return `${part(lat, 'N', 'S')}, ${part(lon, 'E', 'W')}`;
}

/**
 * A drive's time range to the second in local time; the date is written once when both ends
 * fall on the same day: "12 Oct 2024, 07:53:31 – 07:53:55".
 */
export function formatTimeRange(startIso: string, endIso: string, locale?: string): string {
  const start = new Date(startIso);
  const end = new Date(endIso);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()))
    return `${startIso} – ${endIso}`;
  const time: Intl.DateTimeFormatOptions = {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  };
  const full: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    ...time,
  };
  const sameDay = start.toDateString() === end.toDateString();
  return `${start.toLocaleString(locale, full)} – ${end.toLocaleString(locale, sameDay ? time : full)}`;
}
