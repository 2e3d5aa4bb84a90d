import type { CoverageRow } from '../../api/index.js';
import { coverageBars, formatCoverageValue } from './coverage.js';

const width = 760;
const labelWidth = 170;
const valueWidth = 250;
const trackWidth = width - labelWidth - valueWidth - 24;
const rowHeight = 34;
const barHeight = 14;
const top = 6;

/**
 * The achieved share or count of each ODD attribute against its required target: a bar per
 * requirement row, the target marked by a line, green where it passes and red where it fails,
 * with the outcome also written out (colour is never the only sign). Drawn as SVG, one list item
 * per row, so each row can be read by a screen reader.
 */
export function CoverageChart({
  coverage,
  label = 'Coverage of the data requirements',
}: {
  readonly coverage: readonly CoverageRow[];
  readonly label?: string;
}) {
  const bars = coverageBars(coverage);
  const height = top * 2 + bars.length * rowHeight;
  return (
    <div className="coverage-chart" role="figure" aria-label={label}>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width }}
        role="list"
        aria-label={label}
      >
        {bars.map((bar, index) => {
          const y = top + index * rowHeight;
          const barY = y + (rowHeight - barHeight) / 2;
          const targetX = labelWidth + bar.targetFraction * trackWidth;
          const outcome = bar.pass ? 'pass' : 'fail';
          return (
            <g
              key={bar.key}
              role="listitem"
              aria-label={bar.summary}
              className={`coverage-row ${outcome}`}
              data-attribute={bar.attribute}
              data-outcome={outcome}
            >
              <title>{`${bar.summary} (requirement ${bar.requirement}; the bar runs to ${formatCoverageValue(bar.scaleMax, bar.unit)})`}</title>
              <text x={labelWidth - 10} y={y + rowHeight / 2} className="coverage-label">
                {bar.attribute}
              </text>
              <rect
                className="coverage-track"
                x={labelWidth}
                y={barY}
                width={trackWidth}
                height={barHeight}
                rx={3}
              />
              <rect
                className="coverage-bar"
                x={labelWidth}
                y={barY}
                width={bar.actualFraction * trackWidth}
                height={barHeight}
                rx={3}
                data-fraction={bar.actualFraction}
              />
              <line
                className="coverage-target"
                x1={targetX}
                x2={targetX}
                y1={barY - 5}
                y2={barY + barHeight + 5}
                data-fraction={bar.targetFraction}
              />
              <text
                x={labelWidth + trackWidth + 14}
                y={y + rowHeight / 2}
                className="coverage-value"
              >
                <tspan className="coverage-outcome">{bar.pass ? 'pass' : 'fail'}</tspan>
                {` ${formatCoverageValue(bar.actual, bar.unit)} of ≥ ${formatCoverageValue(bar.target, bar.unit)}`}
              </text>
            </g>
          );
        })}
      </svg>
      <p className="muted small coverage-legend">
        <span className="legend-swatch pass" aria-hidden /> passes{' '}
        <span className="legend-swatch fail" aria-hidden /> fails{' '}
        <span className="legend-target" aria-hidden /> required target. Shares run from 0 to 100 %;
        sample counts to the round number shown on hover.
      </p>
    </div>
  );
}
