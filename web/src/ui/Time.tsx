import { formatTime } from './format.js';

/** A point in time as tables show it, with the exact ISO time on hover. */
export function Time({
  iso,
  empty = '—',
}: {
  readonly iso: string | null;
  readonly empty?: string;
}) {
  if (iso === null) return <span className="muted">{empty}</span>;
  return (
    <time className="nowrap" dateTime={iso} title={iso}>
      {formatTime(iso)}
    </time>
  );
}
