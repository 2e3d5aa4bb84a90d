import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatOffset } from './format.js';
import type { RatePlotData } from './rates.js';

const plotHeight = 280;

// A bin without messages is null: it breaks the line (a log scale has no zero), showing the gap.
const formatPerSecond = (value: number | null | undefined): string =>
  value === null || value === undefined
    ? 'none'
    : `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} /s`;

function optionsFor(width: number, data: RatePlotData): uPlot.Options {
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  return {
    width,
    height: plotHeight,
    // Seconds from the start, not wall-clock time: positions within a drive are what matter here.
    // Rates span 1 Hz (GNSS) to kHz (CAN), so the y axis is logarithmic.
    scales: { x: { time: false }, y: { distr: 3, log: 10 } },
    axes: [
      {
        label: 'time from start',
        labelSize: 24,
        values: (_u, ticks) => ticks.map((t) => formatOffset(t)),
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#dde3ea' },
      },
      {
        label: 'messages / s (log)',
        labelSize: 24,
        size: 56,
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#dde3ea' },
      },
    ],
    cursor: { focus: { prox: 24 }, drag: { x: true, y: false } },
    focus: { alpha: 0.25 },
    legend: {
      live: true,
      markers: { fill: (_u, index) => data.series[index - 1]?.color ?? 'transparent' },
    },
    series: [
      { label: 'time', value: (_u, value) => (value === null ? '—' : formatOffset(value)) },
      ...data.series.map((s): uPlot.Series => ({
        label: s.topic,
        stroke: s.color,
        width: 1.5,
        ...(stepped === undefined ? {} : { paths: stepped }),
        value: (_u, value) => formatPerSecond(value),
        points: { show: false },
      })),
    ],
  };
}

/**
 * Messages per second of every channel over the drive, one stepped line per channel on a log
 * scale, drawn on a canvas by uPlot (ADR 080); a bin without messages breaks the line. Hovering shows each channel's rate at that moment in the legend;
 * clicking a legend entry hides its line; dragging across zooms in, a double click zooms out.
 */
export function RatePlot({ data, label }: { readonly data: RatePlotData; readonly label: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const plot = new uPlot(
      optionsFor(element.clientWidth, data),
      [data.times, ...data.series.map((s) => s.values.map((v) => (v > 0 ? v : null)))],
      element,
    );
    const observer = new ResizeObserver(() => {
      if (element.clientWidth !== plot.width)
        plot.setSize({ width: element.clientWidth, height: plotHeight });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data]);
  return <div ref={container} className="rate-plot" role="figure" aria-label={label} />;
}
