import type { LineageGraph as Graph } from '../../api/index.js';
import { shorten } from '../../ui/index.js';
import { defaultLayout, labelOf, layoutLineage } from './lineage-layout.js';

const { nodeWidth, nodeHeight } = defaultLayout;

/**
 * The lineage around a node as columns by depth: what it was made from on the left, what was
 * made from it on the right. Nodes the UI has a page for (recordings, dataset versions) are
 * links. Drawn as SVG from `layoutLineage`.
 */
export function LineageGraph({ graph }: { readonly graph: Graph }) {
  const layout = layoutLineage(graph);
  return (
    <div className="lineage-graph" role="figure" aria-label="Lineage">
      <svg width={layout.width} height={layout.height}>
        <defs>
          <marker
            id="lineage-arrow"
            viewBox="0 0 8 8"
            refX="8"
            refY="4"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L8,4 L0,8 z" className="lineage-arrowhead" />
          </marker>
        </defs>
        {layout.edges.map((edge) => (
          <path
            key={`${edge.source.node.id}\n${edge.target.node.id}`}
            d={edge.path}
            className="lineage-edge"
            markerEnd="url(#lineage-arrow)"
          />
        ))}
        {layout.nodes.map((placed) => {
          const label = labelOf(placed.node);
          const root = placed.node.id === graph.root;
          const name = `${label.kind} ${label.text}${root ? ' (this version)' : ''}`;
          const box = (
            <>
              <title>{`${label.kind}: ${placed.node.name}\nlast run ${placed.node.lastEventType} at ${placed.node.updatedAt}`}</title>
              <rect
                x={placed.x}
                y={placed.y}
                width={nodeWidth}
                height={nodeHeight}
                rx={6}
                className={`lineage-node ${placed.node.kind}${root ? ' root' : ''}`}
              />
              <text x={placed.x + 10} y={placed.y + 16} className="lineage-kind">
                {label.kind}
              </text>
              <text x={placed.x + 10} y={placed.y + 33} className="lineage-name">
                {shorten(label.text, 26)}
              </text>
            </>
          );
          return label.href === undefined ? (
            <g key={placed.node.id} role="img" aria-label={name} data-depth={placed.depth}>
              {box}
            </g>
          ) : (
            <a
              key={placed.node.id}
              href={`#${label.href}`}
              aria-label={name}
              data-depth={placed.depth}
              className="lineage-link"
            >
              {box}
            </a>
          );
        })}
      </svg>
    </div>
  );
}
