import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { alignLines, type PlotLine } from './plot-data.js';

export type { PlotLine } from './plot-data.js';

const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];

/**
 * A line plot drawn by uPlot on a canvas: metric values per step, or cost over time. Hovering
 * shows the values in the legend; clicking a legend entry hides its line; dragging zooms.
 */
export function LinePlot({
  lines,
  label,
  xLabel,
  yLabel,
  time = false,
  height = 220,
}: {
  readonly lines: readonly PlotLine[];
  readonly label: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** The x values are epoch seconds. */
  readonly time?: boolean;
  readonly height?: number;
}) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (element === null || lines.length === 0) return;
    const axis = { grid: { stroke: '#eef1f5' }, ticks: { stroke: '#dde3ea' } };
    const plot = new uPlot(
      {
        width: element.clientWidth,
        height,
        scales: { x: { time } },
        axes: [
          { ...axis, label: xLabel, labelSize: 24 },
          { ...axis, label: yLabel, labelSize: 24, size: 60 },
        ],
        legend: { live: true },
        series: [
          { label: xLabel },
          ...lines.map((l, i): uPlot.Series => ({
            label: l.label,
            stroke: palette[i % palette.length] ?? '#2563eb',
            width: 1.5,
            spanGaps: true,
            points: { show: l.points.length < 40 },
          })),
        ],
      },
      alignLines(lines),
      element,
    );
    const observer = new ResizeObserver(() => {
      if (element.clientWidth !== plot.width) plot.setSize({ width: element.clientWidth, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [lines, label, xLabel, yLabel, time, height]);
  return <div ref={container} role="figure" aria-label={label} />;
}
