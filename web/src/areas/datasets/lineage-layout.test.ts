import { describe, expect, it } from 'vitest';
import type { LineageGraph, LineageNode } from '../../api/index.js';
import { defaultLayout, depthsFrom, labelOf, layoutLineage } from './lineage-layout.js';

const node = (kind: LineageNode['kind'], name: string): LineageNode => ({
  id: JSON.stringify([kind, 'drivetrain', name]),
  kind,
  namespace: 'drivetrain',
  name,
  lastRunId: 'run',
  lastEventType: 'COMPLETE',
  updatedAt: '2024-05-01T00:00:00.000Z',
});

const edge = (source: LineageNode, target: LineageNode) => ({
  source: source.id,
  target: target.id,
  runId: 'run',
});

const recordingB = node('dataset', 'recordings/rec_b');
const recordingA = node('dataset', 'recordings/rec_a');
const build = node('job', 'datasets.build.lidar-front');
const version = node('dataset', 'datasets/dsv_1');
const training = node('job', 'jobs.train.detector');
const model = node('dataset', 'models/detector');

/** recordings → build → version → training → model, rooted at the version. */
const graph: LineageGraph = {
  root: version.id,
  nodes: [model, version, training, recordingB, build, recordingA],
  edges: [
    edge(recordingA, build),
    edge(recordingB, build),
    edge(build, version),
    edge(version, training),
    edge(training, model),
  ],
  truncated: false,
};

describe('lineage layout', () => {
  it('gives upstream nodes negative depths and downstream nodes positive ones', () => {
    const depths = depthsFrom(graph);
    expect(
      Object.fromEntries([...depths].map(([id, d]) => [(JSON.parse(id) as string[])[2], d])),
    ).toEqual({
      'datasets/dsv_1': 0,
      'datasets.build.lidar-front': -1,
      'recordings/rec_a': -2,
      'recordings/rec_b': -2,
      'jobs.train.detector': 1,
      'models/detector': 2,
    });
  });

  it('puts each depth in a column, left to right, with sources before targets', () => {
    const layout = layoutLineage(graph);
    expect(layout.depths).toEqual([-2, -1, 0, 1, 2]);
    const at = (n: LineageNode) => layout.nodes.find((p) => p.node.id === n.id)!;
    expect(at(recordingA).column).toBe(0);
    expect(at(recordingB).column).toBe(0);
    expect(at(version).column).toBe(2);
    expect(at(model).column).toBe(4);
    // Sorted by name within a column, whatever order the server sent.
    expect(at(recordingA).row).toBe(0);
    expect(at(recordingB).row).toBe(1);
    for (const placed of layout.edges) expect(placed.source.x).toBeLessThan(placed.target.x);
    expect(layout.edges).toHaveLength(5);
  });

  it('sizes the drawing to hold every node without overlaps', () => {
    const layout = layoutLineage(graph);
    const { nodeWidth, nodeHeight } = defaultLayout;
    for (const a of layout.nodes) {
      expect(a.x + nodeWidth).toBeLessThanOrEqual(layout.width);
      expect(a.y + nodeHeight).toBeLessThanOrEqual(layout.height);
      for (const b of layout.nodes) {
        if (a === b) continue;
        const apart =
          a.x + nodeWidth <= b.x ||
          b.x + nodeWidth <= a.x ||
          a.y + nodeHeight <= b.y ||
          b.y + nodeHeight <= a.y;
        expect(apart).toBe(true);
      }
    }
  });

  it('keeps nodes that are not connected to the root, in a column after the rest', () => {
    const stray = node('dataset', 'recordings/rec_z');
    const layout = layoutLineage({ ...graph, nodes: [...graph.nodes, stray] });
    expect(layout.nodes.find((p) => p.node.id === stray.id)?.depth).toBe(3);
  });

  it('draws a lone root', () => {
    const layout = layoutLineage({
      root: version.id,
      nodes: [version],
      edges: [],
      truncated: false,
    });
    expect(layout.nodes).toHaveLength(1);
    expect(layout.width).toBe(defaultLayout.nodeWidth + 2 * defaultLayout.padding);
  });

  it('links recordings and dataset versions to their pages, and names builds', () => {
    expect(labelOf(recordingA)).toEqual({
      kind: 'recording',
      text: 'rec_a',
      href: '/recordings/rec_a',
    });
    expect(labelOf(version)).toMatchObject({ kind: 'dataset version', href: '/datasets/dsv_1' });
    expect(labelOf(build)).toEqual({ kind: 'dataset build', text: 'lidar-front', href: undefined });
    expect(labelOf(node('dataset', 'products/lidar-drives')).href).toBeUndefined();
  });
});
