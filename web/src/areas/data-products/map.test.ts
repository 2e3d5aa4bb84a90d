import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundsOf,
  decimalsOf,
  fitMercator,
  formatLatitude,
  formatLongitude,
  graticuleLines,
  graticuleStep,
  latitudeOf,
  maxMercatorLat,
  mercatorY,
  pathOf,
} from './map.js';

describe('mercatorY', () => {
  it('is 0 at the equator and ln(tan(π/4 + φ/2)) elsewhere', () => {
    expect(mercatorY(0)).toBeCloseTo(0, 12);
    expect(mercatorY(45)).toBeCloseTo(0.881374, 6);
    expect(mercatorY(-45)).toBeCloseTo(-0.881374, 6);
  });

  it('reaches π at the Web-Mercator cut-off and stays there beyond it', () => {
    expect(mercatorY(maxMercatorLat)).toBeCloseTo(Math.PI, 6);
    expect(mercatorY(90)).toBe(mercatorY(maxMercatorLat));
  });

  it('is undone by latitudeOf (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -85, max: 85, noNaN: true }), (lat) => {
        expect(latitudeOf(mercatorY(lat))).toBeCloseTo(lat, 9);
      }),
    );
  });
});

describe('boundsOf', () => {
  it('is undefined without points', () => {
    expect(boundsOf([])).toBeUndefined();
  });

  it('boxes the points', () => {
    expect(
      boundsOf([
        { lat: 48.1, lon: 11.5 },
        { lat: 48.3, lon: 11.2 },
      ]),
    ).toEqual({ minLat: 48.1, maxLat: 48.3, minLon: 11.2, maxLon: 11.5 });
  });

  it('widens a single point to the least span around it', () => {
    const b = boundsOf([{ lat: 52, lon: 13 }], 0.02)!;
    expect(b.maxLat - b.minLat).toBeCloseTo(0.02, 12);
    expect(b.maxLon - b.minLon).toBeCloseTo(0.02, 12);
    expect((b.minLat + b.maxLat) / 2).toBeCloseTo(52, 12);
    expect((b.minLon + b.maxLon) / 2).toBeCloseTo(13, 12);
  });
});

describe('fitMercator', () => {
  const bounds = { minLat: 48, maxLat: 49, minLon: 11, maxLon: 13 };

  it('puts the bounds inside the padded frame, centred, north up', () => {
    const projection = fitMercator(bounds, 800, 400, 20);
    const sw = projection.project(48, 11);
    const ne = projection.project(49, 13);
    for (const p of [sw, ne]) {
      expect(p.x).toBeGreaterThanOrEqual(20 - 1e-9);
      expect(p.x).toBeLessThanOrEqual(780 + 1e-9);
      expect(p.y).toBeGreaterThanOrEqual(20 - 1e-9);
      expect(p.y).toBeLessThanOrEqual(380 + 1e-9);
    }
    expect(ne.y).toBeLessThan(sw.y);
    expect(ne.x).toBeGreaterThan(sw.x);
    expect((sw.x + ne.x) / 2).toBeCloseTo(400, 9);
    expect((sw.y + ne.y) / 2).toBeCloseTo(200, 9);
    // One axis fills the padded frame exactly; the other fits inside it.
    const filled = Math.max((ne.x - sw.x) / 760, (sw.y - ne.y) / 360);
    expect(filled).toBeCloseTo(1, 9);
  });

  it('keeps one scale along both axes, as Mercator is conformal', () => {
    const projection = fitMercator(bounds, 600, 600, 0);
    const a = projection.project(48.5, 12);
    const east = projection.project(48.5, 12.001);
    const north = projection.project(48.501, 12);
    const ratio = (a.y - north.y) / (east.x - a.x);
    // A degree of latitude is 1/cos(φ) times as tall as a degree of longitude is wide.
    expect(ratio).toBeCloseTo(1 / Math.cos((48.5 * Math.PI) / 180), 3);
  });

  it('inverts its own projection, and its visible box holds the bounds', () => {
    const projection = fitMercator(bounds, 640, 360, 16);
    fc.assert(
      fc.property(
        fc.double({ min: 40, max: 55, noNaN: true }),
        fc.double({ min: 0, max: 20, noNaN: true }),
        (lat, lon) => {
          const back = projection.invert(projection.project(lat, lon));
          expect(back.lat).toBeCloseTo(lat, 9);
          expect(back.lon).toBeCloseTo(lon, 9);
        },
      ),
    );
    const { visible } = projection;
    expect(visible.minLat).toBeLessThan(bounds.minLat);
    expect(visible.maxLat).toBeGreaterThan(bounds.maxLat);
    expect(visible.minLon).toBeLessThan(bounds.minLon);
    expect(visible.maxLon).toBeGreaterThan(bounds.maxLon);
  });
});

describe('graticule', () => {
  it('picks the smallest round step that keeps the lines few', () => {
    expect(graticuleStep(1)).toBe(0.2);
    expect(graticuleStep(0.05)).toBe(0.01);
    expect(graticuleStep(12)).toBe(2);
    expect(graticuleStep(25)).toBe(5);
    expect(graticuleStep(170)).toBe(30);
    expect(graticuleStep(1000)).toBe(90);
  });

  it('never draws more than the lines asked for (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: 0.0001, max: 160, noNaN: true }),
        fc.integer({ min: 3, max: 10 }),
        (min, span, maxLines) => {
          const step = graticuleStep(span, maxLines);
          const lines = graticuleLines(min, min + span, step);
          expect(lines.length).toBeLessThanOrEqual(maxLines + 1);
          for (const line of lines) {
            expect(line).toBeGreaterThanOrEqual(min - 1e-6);
            expect(line).toBeLessThanOrEqual(min + span + 1e-6);
          }
        },
      ),
    );
  });

  it('lists the multiples of the step, free of rounding dust', () => {
    expect(graticuleLines(47.93, 48.61, 0.1)).toEqual([48, 48.1, 48.2, 48.3, 48.4, 48.5, 48.6]);
    expect(graticuleLines(-1.1, 1.1, 0.5)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(graticuleLines(10, 20, 5)).toEqual([10, 15, 20]);
  });

  it('labels with hemisphere and the decimals the step needs', () => {
    expect(decimalsOf(0.25)).toBe(2);
    expect(decimalsOf(5)).toBe(0);
    expect(decimalsOf(0.001)).toBe(3);
    expect(formatLatitude(48.2, 0.1)).toBe('48.2°N');
    expect(formatLatitude(-33.75, 0.25)).toBe('33.75°S');
    expect(formatLongitude(-3, 1)).toBe('3°W');
    expect(formatLongitude(11.5, 0.5)).toBe('11.5°E');
    expect(formatLongitude(0, 1)).toBe('0°');
  });
});

describe('pathOf', () => {
  it('draws a line through the points and a dot for a single point', () => {
    expect(
      pathOf([
        { x: 1, y: 2 },
        { x: 3.04, y: 4.06 },
      ]),
    ).toBe('M1.0 2.0 L3.0 4.1');
    expect(pathOf([{ x: 5, y: 6 }])).toBe('M5.0 6.0 L5.0 6.0');
    expect(pathOf([])).toBe('');
  });
});
