/** How a time is shown in tables: local date and time to the minute, and the full ISO on hover. */
export function formatTime(iso: string | null, locale?: string): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** A past time relative to `now`: "just now", "5 min ago", "3 h ago", "2 d ago". */
export function formatAgo(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

/** The done share of a task in [0, 1], or undefined when its total is not known. */
export function progressFraction(done: number, total: number): number | undefined {
  if (!Number.isFinite(total) || total <= 0 || !Number.isFinite(done)) return undefined;
  return Math.min(1, Math.max(0, done / total));
}

/** A shortened hash or id for tables, with the whole value kept for a tooltip. */
export function shorten(value: string, keep = 12): string {
  return value.length <= keep + 1 ? value : `${value.slice(0, keep)}…`;
}
