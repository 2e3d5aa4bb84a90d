import type { LineageGraph, LineageNode } from '../../api/index.js';

/** Where the UI shows a lineage node, and what to call it. */
export interface NodeLabel {
  /** The kind of thing in words: "recording", "dataset version", "build" … */
  readonly kind: string;
  /** A short name to draw in the node. */
  readonly text: string;
  /** The UI route of the thing (without `#`), when the UI has a page for it. */
  readonly href: string | undefined;
}

/** Names and links a node: recordings and dataset versions have pages in the UI. */
export function labelOf(node: Pick<LineageNode, 'kind' | 'name'>): NodeLabel {
  const slash = node.name.indexOf('/');
  const prefix = slash < 0 ? '' : node.name.slice(0, slash);
  const rest = slash < 0 ? node.name : node.name.slice(slash + 1);
  if (node.kind === 'dataset' && prefix === 'recordings')
    return { kind: 'recording', text: rest, href: `/recordings/${rest}` };
  if (node.kind === 'dataset' && prefix === 'datasets')
    return { kind: 'dataset version', text: rest, href: `/datasets/${rest}` };
  if (node.kind === 'dataset' && prefix === 'products')
    return { kind: 'data product', text: rest, href: undefined };
  if (node.kind === 'job') {
    const build = /^datasets\.build\.(.+)$/.exec(node.name);
    if (build !== null) return { kind: 'dataset build', text: build[1] ?? '', href: undefined };
    return { kind: 'run', text: node.name, href: undefined };
  }
  return { kind: node.kind, text: node.name, href: undefined };
}

export interface PlacedNode {
  readonly node: LineageNode;
  /** Hops from the root: negative upstream (what it was made from), positive downstream. */
  readonly depth: number;
  readonly column: number;
  readonly row: number;
  readonly x: number;
  readonly y: number;
}

export interface PlacedEdge {
  readonly source: PlacedNode;
  readonly target: PlacedNode;
  /** An SVG path from the right side of the source to the left side of the target. */
  readonly path: string;
}

export interface LineageLayout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
  readonly width: number;
  readonly height: number;
  /** The depths of the columns, left to right. */
  readonly depths: readonly number[];
}

export interface LayoutOptions {
  readonly nodeWidth: number;
  readonly nodeHeight: number;
  readonly columnGap: number;
  readonly rowGap: number;
  readonly padding: number;
}

export const defaultLayout: LayoutOptions = {
  nodeWidth: 220,
  nodeHeight: 44,
  columnGap: 72,
  rowGap: 14,
  padding: 8,
};

/**
 * Hops from the root of every node reachable from it: walking edges backwards gives upstream
 * nodes (negative), forwards downstream ones (positive). Each node keeps its shortest distance;
 * nodes not connected to the root get none.
 */
export function depthsFrom(graph: Pick<LineageGraph, 'root' | 'edges'>): Map<string, number> {
  const depths = new Map<string, number>([[graph.root, 0]]);
  for (const direction of [-1, 1] as const) {
    let frontier = new Set([graph.root]);
    for (let hop = 1; frontier.size > 0; hop++) {
      const next = new Set<string>();
      for (const edge of graph.edges) {
        const [from, to] = direction < 0 ? [edge.target, edge.source] : [edge.source, edge.target];
        if (!frontier.has(from) || depths.has(to)) continue;
        depths.set(to, direction * hop);
        next.add(to);
      }
      frontier = next;
    }
  }
  return depths;
}

/**
 * Lays a lineage graph out in columns by depth, upstream on the left and downstream on the
 * right; within a column nodes are sorted by kind of thing and name, so the layout is stable.
 * Nodes the server sent that are not connected to the root go in a column of their own after
 * the rest rather than vanishing.
 */
export function layoutLineage(
  graph: LineageGraph,
  options: LayoutOptions = defaultLayout,
): LineageLayout {
  const depthOf = depthsFrom(graph);
  const known = graph.nodes.map((n) => depthOf.get(n.id)).filter((d) => d !== undefined);
  const loose = known.length === 0 ? 1 : Math.max(...known) + 1;
  const columns = new Map<number, LineageNode[]>();
  for (const node of graph.nodes) {
    const depth = depthOf.get(node.id) ?? loose;
    columns.set(depth, [...(columns.get(depth) ?? []), node]);
  }
  const depths = [...columns.keys()].sort((a, b) => a - b);
  const sortKey = (n: LineageNode): string => {
    const label = labelOf(n);
    return `${label.kind}\u0000${label.text}`;
  };
  const tallest = Math.max(0, ...[...columns.values()].map((c) => c.length));
  const columnHeight = (count: number): number =>
    count * options.nodeHeight + Math.max(0, count - 1) * options.rowGap;
  const height = columnHeight(tallest) + 2 * options.padding;
  const placed = new Map<string, PlacedNode>();
  depths.forEach((depth, column) => {
    const nodes = [...(columns.get(depth) ?? [])].sort((a, b) =>
      sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
    );
    // Shorter columns are centred, so edges fan out evenly.
    const top = options.padding + (columnHeight(tallest) - columnHeight(nodes.length)) / 2;
    nodes.forEach((node, row) => {
      placed.set(node.id, {
        node,
        depth,
        column,
        row,
        x: options.padding + column * (options.nodeWidth + options.columnGap),
        y: top + row * (options.nodeHeight + options.rowGap),
      });
    });
  });
  const edges: PlacedEdge[] = [];
  for (const edge of graph.edges) {
    const source = placed.get(edge.source);
    const target = placed.get(edge.target);
    if (source === undefined || target === undefined) continue;
    const x1 = source.x + options.nodeWidth;
    const y1 = source.y + options.nodeHeight / 2;
    const x2 = target.x;
    const y2 = target.y + options.nodeHeight / 2;
    const bend = Math.max(options.columnGap / 2, Math.abs(x2 - x1) / 2);
    edges.push({
      source,
      target,
      path: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
    });
  }
  const width =
    depths.length * options.nodeWidth +
    Math.max(0, depths.length - 1) * options.columnGap +
    2 * options.padding;
  return { nodes: [...placed.values()], edges, width, height, depths };
}
