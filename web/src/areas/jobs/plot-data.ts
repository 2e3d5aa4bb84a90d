import type uPlot from 'uplot';

/** One line of a plot: y values at x positions (x need not be shared between lines). */
export interface PlotLine {
  readonly label: string;
  readonly points: readonly (readonly [x: number, y: number])[];
}

/** Lines on one x axis, aligned as uPlot needs them: the union of x values, gaps as null. */
export function alignLines(lines: readonly PlotLine[]): uPlot.AlignedData {
  const xs = [...new Set(lines.flatMap((l) => l.points.map(([x]) => x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  return [
    xs,
    ...lines.map((l) => {
      const ys: (number | null)[] = xs.map(() => null);
      for (const [x, y] of l.points) ys[index.get(x) ?? 0] = y;
      return ys;
    }),
  ];
}
