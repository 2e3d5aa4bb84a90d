import { progressFraction } from './format.js';

/** A progress bar with `done of total` and the worker's message. */
export function Progress({
  done,
  total,
  message,
}: {
  readonly done: number;
  readonly total: number;
  readonly message?: string;
}) {
  const fraction = progressFraction(done, total);
  const label = total > 0 ? `${done} of ${total}` : done > 0 ? String(done) : '';
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label="Progress"
        aria-valuemin={0}
        aria-valuemax={total > 0 ? total : undefined}
        aria-valuenow={total > 0 ? done : undefined}
        aria-valuetext={[label, message].filter((s) => s !== undefined && s !== '').join(', ')}
      >
        <div className="progress-fill" style={{ width: `${(fraction ?? 0) * 100}%` }} />
      </div>
      <span className="muted">
        {fraction === undefined ? label : `${Math.floor(fraction * 100)} %`}
      </span>
    </div>
  );
}
