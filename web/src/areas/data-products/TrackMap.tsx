import { Link } from 'react-router';
import type { SearchHit, Track } from '../../api/index.js';
import {
  boundsOf,
  fitMercator,
  formatLatitude,
  formatLongitude,
  graticuleLines,
  graticuleStep,
  pathOf,
} from './map.js';

const width = 800;
const height = 420;
/** Room around the tracks, so lines at the edge and the labels do not touch. */
const padding = 36;

/** Distinct on white and for the common colour-vision deficiencies (Okabe–Ito, then darker). */
const palette = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#7a5195',
  '#8c564b',
  '#2f4b7c',
  '#a05195',
];

/** The colour of the n-th track, shared by the map and its legend. */
export function trackColour(index: number): string {
  return palette[index % palette.length]!;
}

/**
 * The GNSS tracks of search results on a Web-Mercator map fitted to them, with a graticule; drawn
 * as SVG because no map tiles can be fetched. Hits are marked where their segment starts.
 */
export function TrackMap({
  tracks,
  hits,
  nameOf,
}: {
  readonly tracks: readonly Track[];
  readonly hits: readonly SearchHit[];
  /** A recording's name for the hover text, when known. */
  readonly nameOf: (recordingId: string) => string;
}) {
  const drawn = tracks.filter((t) => t.points.length > 0);
  const bounds = boundsOf(drawn.flatMap((t) => t.points));
  if (bounds === undefined)
    return (
      <p className="muted">
        The recordings of these results have no position data, so there is no map.
      </p>
    );
  const projection = fitMercator(bounds, width, height, padding);
  const { visible } = projection;
  const latStep = graticuleStep(visible.maxLat - visible.minLat, 5);
  const lonStep = graticuleStep(visible.maxLon - visible.minLon, 7);
  const latitudes = graticuleLines(visible.minLat, visible.maxLat, latStep);
  const longitudes = graticuleLines(visible.minLon, visible.maxLon, lonStep);
  const marked = hits.filter(
    (h): h is SearchHit & { lat: number; lon: number } => h.lat !== null && h.lon !== null,
  );
  return (
    <figure className="dp-map" role="figure" aria-label="Map of result tracks">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="xMidYMid meet"
        className="dp-map-svg"
      >
        <rect x={0} y={0} width={width} height={height} className="dp-map-sea" />
        <g className="dp-graticule" aria-hidden>
          {latitudes.map((lat) => {
            const { y } = projection.project(lat, visible.minLon);
            return (
              <g key={`lat${lat}`}>
                <line x1={0} x2={width} y1={y} y2={y} />
                <text x={4} y={y - 3}>
                  {formatLatitude(lat, latStep)}
                </text>
              </g>
            );
          })}
          {longitudes.map((lon) => {
            const { x } = projection.project(visible.minLat, lon);
            return (
              <g key={`lon${lon}`}>
                <line x1={x} x2={x} y1={0} y2={height} />
                <text x={x + 3} y={height - 4}>
                  {formatLongitude(lon, lonStep)}
                </text>
              </g>
            );
          })}
        </g>
        <g className="dp-tracks">
          {drawn.map((track, index) => {
            const points = [...track.points]
              .sort((a, b) => a.seq - b.seq)
              .map((p) => projection.project(p.lat, p.lon));
            return (
              <path
                key={track.recordingId}
                className="dp-track"
                data-recording={track.recordingId}
                d={pathOf(points)}
                stroke={trackColour(index)}
              >
                <title>{`${nameOf(track.recordingId)}: ${track.points.length} ${track.points.length === 1 ? 'position' : 'positions'}`}</title>
              </path>
            );
          })}
        </g>
        <g className="dp-hits" aria-hidden>
          {marked.map((hit) => {
            const { x, y } = projection.project(hit.lat, hit.lon);
            return <circle key={hit.id} cx={x} cy={y} r={4} />;
          })}
        </g>
      </svg>
      <figcaption>
        <ul className="dp-legend" aria-label="Tracks">
          {drawn.map((track, index) => (
            <li key={track.recordingId}>
              <span className="dp-swatch" style={{ background: trackColour(index) }} aria-hidden />
              <Link to={`/recordings/${track.recordingId}`}>{nameOf(track.recordingId)}</Link>
            </li>
          ))}
        </ul>
        <span className="muted small">
          Web-Mercator; lines every {latStep}° of latitude and {lonStep}° of longitude. Circles mark
          where matching segments start.
        </span>
      </figcaption>
    </figure>
  );
}
