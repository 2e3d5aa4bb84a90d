import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDetail } from '../../src/compute/index.js';
import { operatorPrincipal, verifyAudit } from '../../src/platform/index.js';
import { cli } from '../support/cli.js';
import { nodeJob, waitFor, writeTestComputeConfig } from '../support/compute.js';
import { startTestServer, type TestServer } from '../support/server.js';

process.env.DRIVETRAIN_COMPUTE_CONFIG = writeTestComputeConfig();
process.env.DRIVETRAIN_JOB_GRACE_MS = '300';
process.env.DRIVETRAIN_JOB_LOG_LIMIT = String(64 * 1024);

const admin = operatorPrincipal('test');

describe('training jobs on the local executor', () => {
  let t: TestServer;
  let home: string;
  const run = (args: string[]) => cli(['--home', home, ...args]);
  const job = (id: string) => t.app.compute.get(id);
  const until = (id: string, states: string[], timeoutMs = 30_000) =>
    waitFor(
      `${id} to reach ${states.join('/')}`,
      async () => {
        const j = await job(id);
        return states.includes(j.state) ? j : undefined;
      },
      timeoutMs,
    );
  const submit = (doc: Record<string, unknown>) =>
    t.app.compute.submit(admin, {
      team: 'lidar',
      resources: { accelerator: 'cpu', count: 1 },
      ...doc,
    });

  beforeAll(async () => {
    t = await startTestServer({ listen: true });
    home = t.app.config.home;
    await t.app.identity.createTeam(admin, { name: 'lidar' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('runs a job from the command line: submit and get keep their JSON contract; log, metrics and artifacts are kept', async () => {
    const file = join(home, 'job.yaml');
    writeFileSync(
      file,
      [
        'name: hello',
        'team: lidar',
        'resources: { accelerator: cpu, count: 1 }',
        `command: ${JSON.stringify(
          nodeJob(
            [
              "const fs = require('fs');",
              "console.log('starting on', process.env.DRIVETRAIN_FLAVOR, 'home', process.env.HOME === process.cwd());",
              "for (let s = 1; s <= 3; s++) console.log('##drivetrain metric ' + JSON.stringify({ step: s, name: 'loss', value: 1 / s }));",
              "fs.mkdirSync(process.env.DRIVETRAIN_OUTPUTS + '/model', { recursive: true });",
              "fs.writeFileSync(process.env.DRIVETRAIN_OUTPUTS + '/model/weights.bin', Buffer.alloc(1000, 7));",
              "console.log('secret visible:', process.env.SECRET_OF_THE_SERVER ?? 'no');",
            ].join(' '),
          ),
        )}`,
      ].join('\n'),
    );
    process.env.SECRET_OF_THE_SERVER = 'leaked';
    const submitted = await run(['--json', 'jobs', 'submit', file]);
    expect(submitted.exitCode).toBe(0);
    const { id, state } = submitted.json<{ id: string; state: string }>();
    expect(Object.keys(submitted.json<object>())).toEqual(['id', 'state']);
    expect(state).toBe('pending');
    await until(id, ['succeeded']);
    const got = await run(['--json', 'jobs', 'get', id]);
    const view = got.json<Record<string, unknown>>();
    expect(Object.keys(view)).toEqual([
      'id',
      'state',
      'team',
      'queue',
      'createdAt',
      'admittedAt',
      'startedAt',
      'finishedAt',
      'cost',
    ]);
    expect(view).toMatchObject({ id, state: 'succeeded', team: 'lidar', queue: 'lidar' });
    const times = ['createdAt', 'admittedAt', 'startedAt', 'finishedAt'].map((k) =>
      Date.parse(String(view[k])),
    );
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(typeof view.cost).toBe('number');

    const logs = await run(['jobs', 'logs', id]);
    expect(logs.stdout).toContain('starting on local-cpu home true');
    expect(logs.stdout).toContain('secret visible: no');
    const metrics = await t.app.compute.metrics(id);
    expect(metrics).toEqual([
      {
        name: 'loss',
        points: [1, 2, 3].map((step): unknown =>
          expect.objectContaining({ step, value: 1 / step }),
        ),
      },
    ]);
    const detail = await job(id);
    expect(detail.artifacts).toEqual([
      { attempt: 1, path: 'model/weights.bin', size: 1000, sha256: expect.any(String) as string },
    ]);
    const download = await fetch(`${t.url}/jobs/${id}/artifact?attempt=1&path=model/weights.bin`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.alloc(1000, 7));
    expect(detail.events.map((e) => e.to)).toEqual(['pending', 'admitted', 'running', 'succeeded']);
    const audit = await t.app.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'job.submit',
      'job.admitted',
      'job.running',
      'job.succeeded',
    ]);
    expect((await verifyAudit(t.app.store.db)).ok).toBe(true);
  });

  it('refuses bad jobs at submit with the field and what was expected', async () => {
    const refuse = async (doc: Record<string, unknown>) => {
      const r = await t.server.inject({
        method: 'POST',
        url: '/jobs',
        headers: { authorization: `Bearer ${t.adminToken}` },
        payload: { name: 'bad', team: 'lidar', command: ['true'], ...doc },
      });
      expect(r.statusCode).toBe(400);
      return r.json<{ detail: string; field: string }>();
    };
    expect(await refuse({ resources: { accelerator: 'H100', count: 1 } })).toMatchObject({
      field: 'resources.accelerator',
      detail: expect.stringContaining("unknown accelerator 'H100'") as string,
    });
    expect(await refuse({ resources: { accelerator: 'cpu', count: 3 } })).toMatchObject({
      field: 'resources.count',
      detail: expect.stringContaining('more than any node holds (at most 2)') as string,
    });
    expect(
      await refuse({ resources: { accelerator: 'cpu', count: 1, replicas: 3 } }),
    ).toMatchObject({ field: 'resources.replicas' });
    expect(await refuse({ resources: { accelerator: 'cpu', count: -1 } })).toMatchObject({
      field: 'resources.count',
    });
    expect(
      await refuse({ resources: { accelerator: 'cpu', count: 1 }, maxDuration: '100000d' }),
    ).toMatchObject({ field: 'maxDuration' });
    expect(
      await refuse({ team: 'nobody', resources: { accelerator: 'cpu', count: 1 } }),
    ).toMatchObject({ field: 'team' });
    const cliRefusal = await run(['--json', 'jobs', 'submit', join(home, 'missing.yaml')]);
    expect(cliRefusal.exitCode).toBe(3);
  });

  it('records a crash with its exit code, retries per policy, and stops a hang at its maximum duration', async () => {
    const crash = await submit({
      name: 'crash',
      command: nodeJob('console.log("boom"); process.exit(3)'),
      retries: 1,
    });
    const crashed = await until(crash.id, ['failed']);
    expect(crashed.attempts.map((a) => [a.outcome, a.exitCode])).toEqual([
      ['failed', 3],
      ['failed', 3],
    ]);
    expect(crashed.failures).toBe(2);
    expect(crashed.message).toBe('replica 0 exited with code 3');
    expect(crashed.events.map((e) => e.to)).toEqual([
      'pending',
      'admitted',
      'running',
      'pending',
      'admitted',
      'running',
      'failed',
    ]);

    const hang = await submit({
      name: 'hang',
      command: nodeJob('setInterval(() => {}, 1000)'),
      maxDuration: 2,
    });
    const hung = await until(hang.id, ['failed']);
    expect(hung.message).toBe('exceeded its maximum duration of 2 s and was stopped');
    const ran = Date.parse(hung.finishedAt ?? '') - Date.parse(hung.startedAt ?? '');
    expect(ran).toBeGreaterThanOrEqual(1_500);
  });

  it('cuts the log of a job that floods it, with a marker, and stops the job', async () => {
    const flood = await submit({
      name: 'flood',
      command: nodeJob(
        "const line = 'x'.repeat(1000) + '\\n'; setInterval(() => { for (let i = 0; i < 100; i++) process.stdout.write(line); }, 5)",
      ),
    });
    const done = await until(flood.id, ['failed']);
    expect(done.message).toBe(`wrote more than ${64 * 1024} bytes of log and was stopped`);
    const stored: Buffer[] = [];
    for await (const c of t.app.compute.readLog(flood.id)) stored.push(Buffer.from(c.data));
    const text = Buffer.concat(stored).toString();
    expect(text.length).toBeLessThan(64 * 1024 + 500);
    expect(text).toMatch(/\[drivetrain\] log truncated: the job wrote more than 65536 bytes/);
    expect(done.attempts[0]?.logTruncated).toBe(true);
  });

  it('cancels a waiting job at once and a running one by stopping it', async () => {
    const blocker = await submit({
      name: 'blocker',
      command: nodeJob('setTimeout(() => {}, 20000)'),
      resources: { accelerator: 'cpu', count: 2 },
    });
    await until(blocker.id, ['running']);
    const waiting = await submit({ name: 'waiting', command: nodeJob('0') });
    await t.app.compute.settled();
    const explained = await t.app.compute.explain(waiting.id);
    expect(explained.decision.kind).toBe('pending');
    expect(explained.mustFinish).toEqual([blocker.id]);
    expect(explained.findings[0]).toMatchObject({
      flavor: 'local-cpu',
      resource: 'cpu',
      requested: 1000,
      used: 2000,
      nominal: 2000,
    });
    const cancelled = await run(['--json', 'jobs', 'cancel', waiting.id]);
    expect(cancelled.json<{ state: string }>().state).toBe('cancelled');
    const r = await t.server.inject({
      method: 'POST',
      url: `/jobs/${blocker.id}/cancel`,
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(r.statusCode).toBe(200);
    const stopped = await until(blocker.id, ['cancelled']);
    expect(stopped.attempts[0]?.outcome).toBe('cancelled');
    const again = await t.server.inject({
      method: 'POST',
      url: `/jobs/${blocker.id}/cancel`,
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(again.statusCode).toBe(409);
  });

  it('stops a running job whose cancellation the command line asked for, without the server', async () => {
    const long = await submit({
      name: 'long',
      command: nodeJob('setTimeout(() => {}, 20000)'),
    });
    await until(long.id, ['running']);
    const asked = await run(['--json', 'jobs', 'cancel', long.id]);
    expect(asked.json<{ state: string }>().state).toBe('running');
    const stopped = await until(long.id, ['cancelled']);
    expect(stopped.attempts[0]?.outcome).toBe('cancelled');
  });

  it('preempts a lower-priority checkpointing job for a higher one, then runs it again from its checkpoint', async () => {
    const low = await submit({
      name: 'low',
      checkpointing: true,
      resources: { accelerator: 'cpu', count: 2 },
      command: nodeJob(
        "const fs = require('fs'); const c = process.env.DRIVETRAIN_CHECKPOINTS + '/step'; const s = fs.existsSync(c) ? Number(fs.readFileSync(c, 'utf8')) : 0; fs.writeFileSync(c, String(s + 1)); console.log('resuming at', s); setTimeout(() => {}, s === 0 ? 60000 : 200)",
      ),
    });
    // Preempt only once the first attempt has written its checkpoint (a slow machine may take
    // a while to start Node), or the second attempt would start over and wait a minute.
    await waitFor('the first attempt to checkpoint', async () => {
      const log: Buffer[] = [];
      for await (const c of t.app.compute.readLog(low.id)) log.push(Buffer.from(c.data));
      return Buffer.concat(log).toString().includes('resuming at 0') ? true : undefined;
    });
    const high = await submit({
      name: 'high',
      priority: 'high',
      command: nodeJob('setTimeout(() => {}, 300)'),
    });
    const highDone = await until(high.id, ['succeeded']);
    const lowDone = await until(low.id, ['succeeded']);
    expect(lowDone.attempts.map((a) => a.outcome)).toEqual(['preempted', 'succeeded']);
    expect(lowDone.times.preempted).not.toBeNull();
    expect(Date.parse(lowDone.times.preempted ?? '')).toBeLessThanOrEqual(
      Date.parse(highDone.admittedAt ?? ''),
    );
    const log: Buffer[] = [];
    for await (const c of t.app.compute.readLog(low.id)) log.push(Buffer.from(c.data));
    expect(Buffer.concat(log).toString()).toContain('resuming at 1');
  });

  it('starts the replicas of a gang together', async () => {
    const gang = await submit({
      name: 'gang',
      resources: { accelerator: 'cpu', count: 1, replicas: 2 },
      command: nodeJob(
        "console.log('replica', process.env.DRIVETRAIN_REPLICA, 'of', process.env.DRIVETRAIN_REPLICAS)",
      ),
    });
    const done = await until(gang.id, ['succeeded']);
    expect(done.accelerators).toBe(2);
    const log: Buffer[] = [];
    for await (const c of t.app.compute.readLog(gang.id)) log.push(Buffer.from(c.data));
    const text = Buffer.concat(log).toString();
    expect(text).toContain('replica 0 of 2');
    expect(text).toContain('replica 1 of 2');
  });

  it('follows a log live over server-sent events until the attempt ends', async () => {
    const talk = await submit({
      name: 'talk',
      command: nodeJob(
        "let i = 0; const t = setInterval(() => { console.log('line ' + i++); if (i === 5) clearInterval(t); }, 300)",
      ),
    });
    await until(talk.id, ['running']);
    const response = await fetch(`${t.url}/jobs/${talk.id}/logs?follow=true`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    let text = '';
    let ended = false;
    const parser = createParser({
      onEvent(event) {
        if (event.event === 'log') text += (JSON.parse(event.data) as { text: string }).text;
        if (event.event === 'end') ended = true;
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (ended) break;
    }
    expect(ended).toBe(true);
    expect(text.trim().split('\n')).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
  });

  it('reports cost per team and flavor with the idle capacity, and what to save', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const report = await run([
      '--json',
      'cost',
      'report',
      '--from',
      from,
      '--to',
      to,
      '--by',
      'team',
    ]);
    expect(report.exitCode).toBe(0);
    const r = report.json<{
      rows: { key: string; allocationCost: number; acceleratorHours: number }[];
      assetCost: number;
      idleCost: number;
      allocationCost: number;
    }>();
    const lidar = r.rows.find((row) => row.key === 'lidar');
    expect(lidar?.acceleratorHours).toBeGreaterThan(0);
    // Two slots at 0.5 an hour for 61 minutes.
    expect(r.assetCost).toBeCloseTo((2 * 0.5 * 61) / 60, 2);
    expect(r.idleCost + r.allocationCost).toBeCloseTo(r.assetCost, 1);
    const byFlavor = await run([
      '--json',
      'cost',
      'report',
      '--from',
      from,
      '--to',
      to,
      '--by',
      'flavor',
    ]);
    expect(byFlavor.json<{ rows: { key: string }[] }>().rows.map((row) => row.key)).toEqual([
      'local-cpu',
    ]);
    const bad = await run(['--json', 'cost', 'report', '--from', to, '--to', from]);
    expect(bad.exitCode).toBe(3);
    const recs = await run(['--json', 'cost', 'recommendations', '--from', from, '--to', to]);
    const list = recs.json<{ kind: string; saving: number }[]>();
    expect(list.some((x) => x.kind === 'unused-quota' && x.saving > 0)).toBe(true);
    const series = await t.server.inject({
      method: 'GET',
      url: `/cost/series?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&bucket=600`,
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(series.json<{ buckets: unknown[] }>().buckets).toHaveLength(7);
  });

  it('shows a job only to its team and refuses submits from outsiders', async () => {
    const system = operatorPrincipal('test');
    const user = await t.app.identity.createUser(system, { name: 'outsider' });
    const token = (await t.app.identity.createToken(system, { userId: user.id, name: 't' })).secret;
    const camera = await t.app.identity.createTeam(system, { name: 'camera' });
    await t.app.identity.setMembership(system, camera.id, user.id, 'engineer');
    const mine = await submit({ name: 'mine', command: nodeJob('0') });
    const seen = await t.server.inject({
      method: 'GET',
      url: `/jobs/${mine.id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(seen.statusCode).toBe(403);
    const listed = await t.server.inject({
      method: 'GET',
      url: '/jobs',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(listed.json<{ items: JobDetail[] }>().items).toEqual([]);
    const refused = await t.server.inject({
      method: 'POST',
      url: '/jobs',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        name: 'x',
        team: 'lidar',
        command: ['true'],
        resources: { accelerator: 'cpu', count: 1 },
      },
    });
    expect(refused.statusCode).toBe(403);
    const own = await t.server.inject({
      method: 'POST',
      url: '/jobs',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        name: 'x',
        team: 'camera',
        command: nodeJob('0'),
        resources: { accelerator: 'cpu', count: 1 },
      },
    });
    expect(own.statusCode).toBe(201);
  });
});
