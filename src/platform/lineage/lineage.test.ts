import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeShared, sharedPath } from '../../../test/support/shared.js';
import { openSqliteStore } from '../store/index.js';
import type { Store } from '../store/store.js';
import { customFacet, runEvent, standardFacets } from './events.js';
import { lineageMigrations } from './migrations.js';
import { LineageService, runIdFor } from './service.js';
import { officialValidator, structuralValidator } from './validate.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drivetrain-lineage-'));
  store = openSqliteStore(join(dir, 'db'));
  await store.migrate(lineageMigrations);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ingestRun(lineage: LineageService, id: string, fail = false): Promise<string> {
  const run = lineage.run(
    {
      name: 'recordings.ingest',
      jobType: 'INGEST',
      description: 'validates and indexes a recording',
    },
    {
      runId: runIdFor('recordings.ingest', id, 1),
      inputs: [lineage.dataset(`uploads/${id}`)],
      runFacets: Object.fromEntries([customFacet('ingest', { recordingId: id, format: 'mcap' })]),
    },
  );
  await run.start();
  if (fail) await run.fail(new Error('truncated chunk at byte 4096'));
  else
    await run.complete({
      outputs: [
        lineage.dataset(`recordings/${id}`, { datasetVersion: standardFacets.datasetVersion(id) }),
      ],
    });
  return run.runId;
}

describeShared('lineage events against the official OpenLineage schemas', () => {
  const validate = (): ReturnType<typeof officialValidator> =>
    officialValidator(sharedPath('schemas', 'openlineage'));

  it('accepts the upstream full example event', () => {
    const example = JSON.parse(
      readFileSync(
        sharedPath('schemas', 'openlineage', 'examples', 'example_full_event.json'),
        'utf8',
      ),
    ) as unknown;
    expect(validate()(example)).toEqual([]);
  });

  it('accepts every event drivetrain emits: START, COMPLETE, FAIL and ABORT, with standard and prefixed facets', async () => {
    const lineage = new LineageService(store, { validate: validate() });
    await ingestRun(lineage, 'rec_a');
    await ingestRun(lineage, 'rec_b', true);
    const started = lineage.run(
      { name: 'datasets.build.x', jobType: 'DATASET_BUILD' },
      { runId: runIdFor('b', 1) },
    );
    await started.start();
    expect(await lineage.abortIfDangling(started.runId, 'worker died')).toBe(true);
    const events = (await lineage.events()).items.map((e) => e.event);
    expect(events.map((e) => e.eventType)).toEqual([
      'START',
      'COMPLETE',
      'START',
      'FAIL',
      'START',
      'ABORT',
    ]);
    for (const event of events) {
      expect(validate()(event)).toEqual([]);
      for (const key of Object.keys(event.run.facets ?? {})) {
        expect(
          ['processing_engine', 'errorMessage'].includes(key) || key.startsWith('drivetrain_'),
        ).toBe(true);
      }
    }
  });

  it('names what is wrong with an invalid event', () => {
    const event = runEvent({
      eventType: 'START',
      runId: 'not-a-uuid',
      job: { namespace: 'drivetrain', name: 'x' },
    });
    expect(validate()(event).join('\n')).toContain('/run/runId');
    const badFacet = runEvent({
      eventType: 'COMPLETE',
      runId: runIdFor('x'),
      job: {
        namespace: 'drivetrain',
        name: 'x',
        facets: { jobType: { ...standardFacets.jobType('INGEST'), processingType: 5 } },
      },
    });
    expect(validate()(badFacet).join('\n')).toContain('job.facets.jobType/processingType');
  });
});

describe('lineage emitter', () => {
  it('refuses to store an event that is not OpenLineage', async () => {
    const lineage = new LineageService(store);
    await expect(
      lineage.emit(
        runEvent({
          eventType: 'START',
          runId: 'nope',
          job: { namespace: 'drivetrain', name: 'x' },
        }),
      ),
    ).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('run.runId: must be a UUID') as unknown,
    });
    expect(structuralValidator({ eventTime: 'x' })).toEqual(
      expect.arrayContaining([
        'eventTime: must be an ISO-8601 date-time',
        'run.runId: must be a UUID',
      ]),
    );
  });

  it('stores a repeated START or COMPLETE of a run once', async () => {
    const lineage = new LineageService(store);
    await ingestRun(lineage, 'rec_a');
    await ingestRun(lineage, 'rec_a');
    expect((await lineage.events()).items).toHaveLength(2);
  });

  it('serves the graph upstream and downstream, limited by depth', async () => {
    const lineage = new LineageService(store);
    await ingestRun(lineage, 'rec_a');
    await ingestRun(lineage, 'rec_b');
    const build = lineage.run(
      { name: 'datasets.build.d', jobType: 'DATASET_BUILD' },
      {
        runId: runIdFor('build', 1),
        inputs: [lineage.dataset('recordings/rec_a'), lineage.dataset('recordings/rec_b')],
      },
    );
    await build.start();
    await build.complete({ outputs: [lineage.dataset('datasets/dsv_1')] });
    const up = await lineage.graph({ name: 'datasets/dsv_1' }, { direction: 'upstream', depth: 2 });
    expect(up.nodes.map((n) => n.name).sort()).toEqual([
      'datasets.build.d',
      'datasets/dsv_1',
      'recordings/rec_a',
      'recordings/rec_b',
    ]);
    const deep = await lineage.graph(
      { name: 'datasets/dsv_1' },
      { direction: 'upstream', depth: 4 },
    );
    expect(deep.nodes.map((n) => n.name)).toEqual(
      expect.arrayContaining(['uploads/rec_a', 'recordings.ingest']),
    );
    const down = await lineage.graph(
      { name: 'uploads/rec_b' },
      { direction: 'downstream', depth: 4 },
    );
    expect(down.nodes.map((n) => n.name)).toContain('datasets/dsv_1');
    expect(down.nodes.map((n) => n.name)).not.toContain('uploads/rec_a');
    await expect(lineage.graph({ name: 'nothing' })).rejects.toMatchObject({ code: 'not_found' });
  });

  describe('forwarding', () => {
    let server: Server;
    let url: string;
    const received: unknown[] = [];
    let failures = 0;
    let hold: Promise<void> | undefined;

    beforeEach(async () => {
      received.length = 0;
      server = createServer((request: IncomingMessage, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          void (async () => {
            await hold;
            if (failures > 0) {
              failures--;
              response.writeHead(503).end();
              return;
            }
            received.push({
              auth: request.headers.authorization,
              event: JSON.parse(body) as unknown,
            });
            response.writeHead(201).end();
          })();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/api/v1/lineage`;
    });

    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('retries refused events with backoff and delivers them in order, with the API key', async () => {
      failures = 2;
      const lineage = new LineageService(store, {
        forward: { url, apiKey: 'k1', backoffMs: 10, maxBackoffMs: 20 },
      });
      await ingestRun(lineage, 'rec_a');
      let delivered = 0;
      for (let i = 0; i < 50 && delivered < 2; i++) {
        delivered += await lineage.forwardPending();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(received.map((r) => (r as { event: { eventType: string } }).event.eventType)).toEqual([
        'START',
        'COMPLETE',
      ]);
      expect(received.every((r) => (r as { auth: string }).auth === 'Bearer k1')).toBe(true);
      const stored = (await lineage.events()).items;
      expect(stored.every((e) => e.forwardedAt !== null && e.forwardError === null)).toBe(true);
    });

    it('never holds up emit while the endpoint does not answer', async () => {
      let release = (): void => undefined;
      hold = new Promise<void>((resolve) => (release = resolve));
      const lineage = new LineageService(store, {
        forward: { url, pollMs: 10, timeoutMs: 10_000 },
      });
      lineage.startForwarding();
      await ingestRun(lineage, 'rec_a');
      await ingestRun(lineage, 'rec_b');
      expect(received).toEqual([]);
      expect((await lineage.events()).items).toHaveLength(4);
      release();
      for (let i = 0; i < 200 && received.length < 4; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await lineage.stop();
      hold = undefined;
      expect(received).toHaveLength(4);
    });
  });
});
