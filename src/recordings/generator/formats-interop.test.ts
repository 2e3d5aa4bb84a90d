import { describe, expect, it } from 'vitest';
import {
  DbcDecoder,
  bytesReader,
  createMessageDecoder,
  createStampExtractor,
  openRecording,
  parseDbc,
  type RecordedMessage,
} from '../../formats/index.js';
import { decodeVehicleSpeedKph, vehicleDbc, vehicleSpeedMessageId } from './can.js';
import { planFleet } from './fleet.js';
import { generateRecording, type GenerateOptions } from './generator.js';
import { createRig } from './rig.js';
import { rigTimeline } from './timeline.js';

const options: GenerateOptions = {
  cameraWidth: 48,
  cameraHeight: 32,
  cameraPoolSize: 1,
  lidarBeams: 8,
  lidarColumns: 64,
  chunkSize: 512 * 1024,
};
const plan = planFleet({ seed: 31, vehicles: 1, minutes: 2 / 60 })[0]!;

async function bytesOf(summary: boolean): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await generateRecording(
    plan,
    {
      write: (bytes) => {
        parts.push(bytes.slice());
        return Promise.resolve();
      },
    },
    { ...options, summary },
  );
  return Buffer.concat(parts);
}

describe('generated recordings through drivetrain formats readers', () => {
  it('opens indexed and streamed-only files and extracts the true header stamps', async () => {
    const rig = createRig(plan.seed, plan.vehicleId);
    const timelines = rigTimeline(rig, plan.durationNs);
    for (const summary of [true, false]) {
      const source = await openRecording(plan.fileName, bytesReader(await bytesOf(summary)));
      const overview = await source.summary();
      expect(overview.format).toBe('mcap');
      expect(overview.channels.map((c) => c.topic).sort()).toEqual(
        rig.sensors.map((s) => s.topic).sort(),
      );
      expect(overview.metadata.find((m) => m.name === 'recording')?.entries.weather).toBe(
        plan.weather,
      );

      const byChannel = new Map<number, RecordedMessage[]>();
      for await (const message of source.messages()) {
        const list = byChannel.get(message.channelId) ?? [];
        list.push(message);
        byChannel.set(message.channelId, list);
      }
      for (const timeline of timelines) {
        const channel = overview.channels.find((c) => c.topic === timeline.topic)!;
        const extractor = createStampExtractor(channel, { file: plan.fileName });
        const messages = byChannel.get(channel.id) ?? [];
        expect(messages.length, `${timeline.topic} summary=${summary}`).toBe(timeline.count);
        messages.forEach((message, i) => {
          const stamp = extractor.stamp(message);
          expect(stamp.fromHeader).toBe(true);
          expect(stamp.time).toBe(plan.startTimeNs + BigInt(timeline.stampNs[i]!));
          expect(message.logTime).toBe(plan.startTimeNs + BigInt(timeline.logNs[i]!));
        });
      }
    }
  });

  it('decodes the vehicle speed with the DBC the recording carries', async () => {
    const source = await openRecording(plan.fileName, bytesReader(await bytesOf(true)));
    const can = (await source.summary()).channels.find((c) => c.topic === '/vehicle/can/raw')!;
    const decoder = new DbcDecoder(parseDbc(vehicleDbc(), 'vehicle.dbc'));
    const frames = createMessageDecoder(can, { file: plan.fileName });
    let speeds = 0;
    for await (const message of source.messages({ channelIds: [can.id] })) {
      const frame = frames.decode(message.data) as { id: number; data: Uint8Array };
      if (frame.id !== vehicleSpeedMessageId) continue;
      const decoded = decoder.decode({ id: frame.id, ide: false, data: frame.data });
      const speed = decoded?.signals.find((s) => s.name === 'VehicleSpeed')?.value;
      expect(speed).toBeCloseTo(decodeVehicleSpeedKph(frame.data), 6);
      speeds++;
    }
    expect(speeds).toBeGreaterThan(150);
  });
});
