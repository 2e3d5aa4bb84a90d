import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recording } from '../../src/recordings/index.js';
import { postgresAvailable } from '../support/postgres.js';
import { generatedRecording } from '../support/recordings.js';
import { startS3Server, type S3TestServer } from '../support/s3.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The same build on PostgreSQL and an S3-protocol object store, chosen by configuration alone:
 * a recording goes in over HTTP, is catalogued from S3 by range reads, and the audit holds.
 */
describe.skipIf(!(await postgresAvailable('distributed deployment')))(
  'drivetrain on PostgreSQL and S3',
  () => {
    let s3: S3TestServer;
    let t: TestServer;
    let auth: { authorization: string };

    beforeAll(async () => {
      s3 = await startS3Server('drivetrain-distributed');
      t = await startTestServer({
        database: 'postgres',
        env: {
          DRIVETRAIN_OBJECTS: `s3://${s3.bucket}/platform`,
          AWS_ENDPOINT_URL: s3.endpoint,
          AWS_REGION: s3.region,
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        },
      });
      auth = { authorization: `Bearer ${t.adminToken}` };
    });
    afterAll(async () => {
      await t.close();
      await s3.stop();
    });

    it('is ready with both stores', async () => {
      const ready = (await t.server.inject({ url: '/readyz' })).json<{
        ready: boolean;
        checks: { location: string }[];
      }>();
      expect(ready.ready).toBe(true);
      expect(ready.checks.map((c) => c.location)).toEqual([
        expect.stringContaining('postgres'),
        `s3://${s3.bucket}/platform`,
      ]);
    });

    it('uploads, ingests and serves a recording', async () => {
      expect(
        (
          await t.server.inject({
            method: 'POST',
            url: '/teams',
            headers: auth,
            payload: { name: 'fleet' },
          })
        ).statusCode,
      ).toBe(201);
      const { bytes } = await generatedRecording({ seed: 31, seconds: 4 });
      const upload = await t.server.inject({
        method: 'POST',
        url: '/recordings?name=drive.mcap&team=fleet',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(bytes),
      });
      expect(upload.statusCode).toBe(201);
      const { recording } = upload.json<{ recording: Recording }>();
      let current = recording;
      for (
        let i = 0;
        i < 300 && current.status !== 'ready' && current.status !== 'rejected';
        i += 1
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        current = (
          await t.server.inject({ url: `/recordings/${recording.id}`, headers: auth })
        ).json<{ recording: Recording }>().recording;
      }
      expect(current).toMatchObject({ status: 'ready', format: 'mcap', size: bytes.byteLength });
      expect(current.bytesRead).toBeLessThan(bytes.byteLength);
      const file = await t.server.inject({
        url: `/recordings/${recording.id}/file`,
        headers: auth,
      });
      expect(Buffer.from(file.rawPayload).equals(Buffer.from(bytes))).toBe(true);
      const verify = (await t.server.inject({ url: '/audit/verify', headers: auth })).json<{
        ok: boolean;
      }>();
      expect(verify.ok).toBe(true);
    });
  },
);
