import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CatalogService,
  loadContractValidator,
  matches,
  parseQuery,
  SearchService,
} from '../../src/catalog/index.js';
import {
  insertRecordings,
  segmentFacts,
  syntheticRecording,
  type SyntheticRecording,
  type SyntheticSegmentFacts,
} from '../../src/catalog/testing/fleet-metadata.js';
import {
  Forbidden,
  IdentityService,
  InvalidInput,
  operatorPrincipal,
  type Principal,
  type Store,
} from '../../src/platform/index.js';
import { member, searchAll } from '../support/catalog.js';
import { postgresAvailable } from '../support/postgres.js';
import { sharedDir } from '../support/shared.js';
import { storeImplementations, type TestStore } from '../support/stores.js';

const admin = operatorPrincipal('test');

for (const implementation of storeImplementations) {
  const available = implementation.name === 'sqlite' || (await postgresAvailable('catalog suite'));
  describe.skipIf(!available)(`catalog on ${implementation.name}`, () => {
    let testStore: TestStore;
    let store: Store;
    let catalog: CatalogService;
    let search: SearchService;
    let perception: string;
    let planning: string;
    let recordings: SyntheticRecording[];

    beforeAll(async () => {
      testStore = await implementation.create();
      store = testStore.store;
      const identity = new IdentityService(store);
      perception = (await identity.createTeam(admin, { name: 'perception' })).id;
      planning = (await identity.createTeam(admin, { name: 'planning' })).id;
      const schemas = sharedDir() === undefined ? undefined : `${sharedDir()}/schemas`;
      catalog = new CatalogService(store, loadContractValidator(schemas));
      search = new SearchService(store, catalog);
      recordings = Array.from({ length: 120 }, (_, i) =>
        syntheticRecording(i, {
          seed: 7,
          teamIds: [perception, planning],
          vehicles: 12,
          segmentsPerRecording: 4,
        }),
      );
      await insertRecordings(store, recordings);
    });
    afterAll(async () => {
      await testStore.dispose();
    });

    const allFacts = (): SyntheticSegmentFacts[] => recordings.flatMap(segmentFacts);

    const searchEverything = (principal: Principal, query: string): Promise<string[]> =>
      searchAll(search, principal, query, 37);

    it('finds exactly the segments the in-memory evaluation matches, page by page (property)', async () => {
      const leaf = fc.constantFrom(
        'sensors has lidar',
        'night',
        'day',
        'rain',
        'snow',
        'highway',
        'speed:urban',
        'country = "DE"',
        'country in ("FR", "NL")',
        'speed_kmh > 80',
        'speed_kmh_max <= 40.5',
        'lat > 48',
        'campaign:c3',
        'vehicle = "veh-0003"',
        'start >= "2026-01-05T02:00:00Z"',
        '"country:IT"',
      );
      const expr = fc.letrec<{ e: string }>((tie) => ({
        e: fc.oneof(
          { depthSize: 'small' },
          leaf,
          fc
            .tuple(tie('e'), fc.constantFrom('and', 'or'), tie('e'))
            .map(([a, op, b]) => `(${a}) ${op} (${b})`),
          tie('e').map((e) => `not (${e})`),
        ),
      })).e;
      await fc.assert(
        fc.asyncProperty(expr, async (query) => {
          const tree = parseQuery(query);
          const expected = allFacts()
            .filter((f) => matches(tree, f))
            .map((f) => f.id)
            .sort();
          expect(await searchEverything(admin, query)).toEqual(expected);
        }),
        { numRuns: 60 },
      );
    });

    it('answers the example of the issue with segments, time ranges and matched tags', async () => {
      const query = 'sensors has lidar and country = "DE" and night and speed_kmh > 80 and rain';
      const page = await search.search(admin, { query, limit: 5 });
      const expected = allFacts().filter((f) => matches(parseQuery(query), f));
      expect(expected.length).toBeGreaterThan(0);
      expect(page.items.length).toBe(Math.min(5, expected.length));
      for (const hit of page.items) {
        expect(hit.endMs - hit.startMs).toBe(20_000);
        expect(hit.matchedTags).toEqual(
          expect.arrayContaining(['sensor:lidar', 'country:DE', 'night', 'rain']),
        );
        expect(hit.tags.length).toBeGreaterThanOrEqual(hit.matchedTags.length);
      }
    });

    it('rejects a bad cursor and a bad query with InvalidInput', async () => {
      await expect(search.search(admin, { query: 'night', cursor: 'garbage' })).rejects.toThrow(
        InvalidInput,
      );
      await expect(search.search(admin, { query: 'night and' })).rejects.toMatchObject({
        code: 'invalid_input',
        details: { column: 10 },
      });
    });

    it('shows a team its own recordings and those of products granted to it, narrowed by the product query', async () => {
      const steward = member(perception, 'data-steward', 'steward');
      const planner = member(planning, 'viewer', 'planner');
      const own = (await searchEverything(planner, 'day or not day')).sort();
      const planningSegments = recordings
        .filter((r) => r.teamId === planning)
        .flatMap((r) => r.segments.map((s) => s.id))
        .sort();
      expect(own).toEqual(planningSegments);

      await catalog.createDomain(steward, { name: 'perception-data', ownerTeam: 'perception' });
      const product = await catalog.createProduct(steward, {
        name: 'de-night',
        domain: 'perception-data',
        classification: 'confidential',
        personalData: ['faces', 'license-plates'],
        residency: 'eu',
        rule: { sensors: ['lidar'], query: 'country = "DE" and night' },
        slos: { requiredSensors: ['lidar', 'camera'], minCompletenessPercent: 90 },
      });
      expect(product.recordingCount).toBe(
        recordings.filter(
          (r) => r.teamId === perception && r.channels.some((c) => c.sensor === 'lidar'),
        ).length,
      );
      expect(await searchEverything(planner, 'day or not day')).toEqual(own);
      await expect(catalog.requireReadable(planner, 'de-night')).rejects.toThrow(Forbidden);

      await catalog.grant(steward, 'de-night', 'planning');
      const granted = (await searchEverything(planner, 'day or not day')).sort();
      const deNight = recordings
        .filter((r) => r.teamId === perception && r.channels.some((c) => c.sensor === 'lidar'))
        .flatMap(segmentFacts)
        .filter((f) => f.country === 'DE' && f.daylight === 'night')
        .map((f) => f.id);
      expect(deNight.length).toBeGreaterThan(0);
      expect(granted).toEqual([...planningSegments, ...deNight].sort());
      const foreign = recordings.find((r) => r.teamId === perception)!;
      expect(await catalog.canReadRecording(planner, foreign.id)).toBe(
        foreign.channels.some((c) => c.sensor === 'lidar'),
      );

      await catalog.revoke(steward, 'de-night', 'planning');
      expect(await searchEverything(planner, 'day or not day')).toEqual(own);
      await expect(catalog.grant(planner, 'de-night', 'planning')).rejects.toThrow(Forbidden);
    });

    it('runs contract checks on ingest and names the failing ones', async () => {
      const steward = member(perception, 'data-steward', 'steward2');
      await catalog.createProduct(steward, {
        name: 'lidar-fresh',
        domain: 'perception-data',
        residency: 'eu',
        slos: { requiredSensors: ['lidar'], minSyncScore: 90, maxAgeHours: 24 * 365 * 100 },
      });
      let product = await catalog.getProduct(steward, 'lidar-fresh');
      expect(product.quality.status).toBe('failing');
      expect(product.quality.failures.map((f) => f.check)).toEqual([
        'required-sensors',
        'sync-score',
      ]);
      expect(product.quality.failures.find((f) => f.check === 'sync-score')?.detail).toBe(
        'no sync report yet',
      );

      const withLidar = recordings.filter(
        (r) => r.teamId === perception && r.channels.some((c) => c.sensor === 'lidar'),
      );
      const without = recordings.filter(
        (r) => r.teamId === perception && !r.channels.some((c) => c.sensor === 'lidar'),
      );
      for (const r of withLidar) await catalog.recordingIngested(r.id, { syncScore: 95 });
      for (const r of without) await catalog.recordingIngested(r.id, { syncScore: 99 });
      product = await catalog.getProduct(steward, 'lidar-fresh');
      expect(product.quality.failures).toEqual([
        expect.objectContaining({
          check: 'required-sensors',
          recordings: without.length,
          detail: 'missing lidar',
        }),
      ]);
      const bad = withLidar[0]!;
      const result = await catalog.recordingIngested(bad.id, { syncScore: 42.5 });
      expect(result.products).toContain('lidar-fresh');
      const checks = await catalog.checks(steward, 'lidar-fresh', { failingOnly: true });
      expect(checks).toContainEqual(
        expect.objectContaining({
          recordingId: bad.id,
          check: 'sync-score',
          passed: false,
          detail: 'sync score 42.5 (minimum 90)',
        }),
      );
    });

    it('flags a stale product by its freshness check', async () => {
      const steward = member(perception, 'data-steward', 'steward3');
      await catalog.createProduct(steward, {
        name: 'stale',
        domain: 'perception-data',
        residency: 'eu',
        slos: { maxAgeHours: 1 },
      });
      const product = await catalog.getProduct(steward, 'stale');
      expect(product.quality.failures).toEqual([
        expect.objectContaining({ check: 'freshness', recordings: 0, example: null }),
      ]);
    });

    it('refuses products with bad rules and names the field', async () => {
      const steward = member(perception, 'data-steward', 'steward4');
      await expect(
        catalog.createProduct(steward, {
          name: 'x',
          domain: 'perception-data',
          residency: 'eu',
          rule: { sensors: ['sonar'] },
        }),
      ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'rule.sensors[0]' } });
      await expect(
        catalog.createProduct(steward, {
          name: 'y',
          domain: 'perception-data',
          residency: 'eu',
          rule: { query: 'night and' },
        }),
      ).rejects.toMatchObject({
        code: 'invalid_input',
        details: { field: 'rule.query', column: 10 },
      });
      await expect(
        catalog.createProduct(member(planning, 'data-steward'), {
          name: 'z',
          domain: 'perception-data',
          residency: 'eu',
        }),
      ).rejects.toThrow(Forbidden);
      await expect(
        catalog.createProduct(steward, {
          name: 'de-night',
          domain: 'perception-data',
          residency: 'eu',
        }),
      ).rejects.toMatchObject({ code: 'conflict' });
    });

    it('returns GNSS tracks of readable segments only', async () => {
      const planner = member(planning, 'viewer', 'planner2');
      const foreign = recordings.find(
        (r) => r.teamId === perception && r.segments.every((s) => s.lat !== null),
      )!;
      const ownRecording = recordings.find(
        (r) => r.teamId === planning && r.segments.every((s) => s.lat !== null),
      )!;
      const tracks = await search.tracks(planner, [foreign.id, ownRecording.id]);
      expect(tracks.map((t) => t.recordingId)).toEqual([ownRecording.id]);
      expect(tracks[0]!.points.map((p) => p.seq)).toEqual([0, 1, 2, 3]);
    });
  });
}
