import { useCallback, useEffect, useRef, type RefObject } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatOffset } from './format.js';
import type { DeltaSeriesPlotData, HistogramPlotData } from './sync.js';

const plotHeight = 170;
const accent = '#2f6fdb';
const band = 'rgba(47, 111, 219, 0.18)';
const toleranceStroke = '#c2410c';

// uPlot's bundled path builders are typed optional; a build without them draws lines instead.
const bars = uPlot.paths.bars?.({ size: [0.9, Infinity], align: 0 });

const axisStyle = { grid: { stroke: '#eef1f5' }, ticks: { stroke: '#dde3ea' } } as const;

const formatMs = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : `${value.toFixed(Math.abs(value) < 10 ? 2 : 1)} ms`;

type PlotBuild = (width: number) => { options: uPlot.Options; data: uPlot.AlignedData };

/** Draws uPlot into a div that follows its container's width; rebuilt when `build` changes. */
function useUplot(build: PlotBuild): RefObject<HTMLDivElement | null> {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const { options, data } = build(element.clientWidth);
    const plot = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => {
      if (element.clientWidth !== plot.width)
        plot.setSize({ width: element.clientWidth, height: plotHeight });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [build]);
  return container;
}

/** Dashed vertical lines at ±tolerance, drawn over the bars. */
function toleranceLines(toleranceMs: number): (u: uPlot) => void {
  return (u) => {
    const context = u.ctx;
    context.save();
    context.strokeStyle = toleranceStroke;
    context.lineWidth = 1.5 * uPlot.pxRatio;
    context.setLineDash([5 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
    for (const edge of [-toleranceMs, toleranceMs]) {
      const x = Math.round(u.valToPos(edge, 'x', true));
      context.beginPath();
      context.moveTo(x, u.bbox.top);
      context.lineTo(x, u.bbox.top + u.bbox.height);
      context.stroke();
    }
    context.restore();
  };
}

/**
 * How far each message of a sensor was from the reference stamp it was matched to (sensor
 * minus reference), as bars of message counts, with the tolerance marked by dashed lines.
 */
export function DeltaHistogram({
  data,
  toleranceMs,
  label,
}: {
  readonly data: HistogramPlotData;
  readonly toleranceMs: number;
  readonly label: string;
}) {
  const build = useCallback<PlotBuild>(
    (width) => ({
      options: {
        width,
        height: plotHeight,
        scales: { x: { time: false, range: [data.from, data.to] }, y: { range: [0, null] } },
        axes: [
          { ...axisStyle, label: 'sensor − reference (ms)', labelSize: 20 },
          { ...axisStyle, label: 'messages', labelSize: 20, size: 48 },
        ],
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        series: [
          { label: 'delta', value: (_u, value) => formatMs(value) },
          {
            label: 'messages',
            fill: accent,
            stroke: accent,
            width: 0,
            ...(bars === undefined ? {} : { paths: bars }),
            points: { show: false },
          },
        ],
        hooks: { draw: [toleranceLines(toleranceMs)] },
      },
      data: [data.centres, data.counts],
    }),
    [data, toleranceMs],
  );
  const container = useUplot(build);
  return <div ref={container} className="sync-plot" role="figure" aria-label={label} />;
}

/**
 * The signed delta of a sensor against the reference over the drive: the mean per bucket as a
 * line, the bucket's smallest and largest delta as a band around it. The line breaks where no
 * reference message fell.
 */
export function DeltaOverTime({
  data,
  label,
}: {
  readonly data: DeltaSeriesPlotData;
  readonly label: string;
}) {
  const build = useCallback<PlotBuild>(
    (width) => ({
      options: {
        width,
        height: plotHeight,
        scales: { x: { time: false } },
        axes: [
          {
            ...axisStyle,
            label: 'time from start',
            labelSize: 20,
            values: (_u, ticks) => ticks.map((t) => formatOffset(t)),
          },
          { ...axisStyle, label: 'delta (ms)', labelSize: 20, size: 52 },
        ],
        legend: { show: false },
        cursor: { drag: { x: true, y: false } },
        series: [
          { label: 'time', value: (_u, value) => (value === null ? '—' : formatOffset(value)) },
          { label: 'mean', stroke: accent, width: 1.5, points: { show: false } },
          { label: 'min', stroke: band, width: 1, points: { show: false } },
          { label: 'max', stroke: band, width: 1, points: { show: false } },
        ],
        bands: [{ series: [3, 2], fill: band }],
      },
      data: [data.times, data.mean, data.min, data.max],
    }),
    [data],
  );
  const container = useUplot(build);
  return <div ref={container} className="sync-plot" role="figure" aria-label={label} />;
}
