import {
  generateRecording,
  planFleet,
  type GenerateOptions,
  type GeneratedRecording,
  type RecordingPlan,
} from '../../src/recordings/index.js';

/** Small but complete rig settings, so generated test recordings stay a few MB. */
export const smallRig: GenerateOptions = {
  cameraWidth: 64,
  cameraHeight: 40,
  cameraPoolSize: 1,
  lidarBeams: 8,
  lidarColumns: 128,
  chunkSize: 256 * 1024,
};

/** One generated MCAP recording, in memory, with the plan and rig that made it. */
export async function generatedRecording(
  options: { seed?: number; seconds?: number; vehicle?: number } & GenerateOptions = {},
): Promise<{ bytes: Uint8Array; generated: GeneratedRecording; plan: RecordingPlan }> {
  const { seed = 1, seconds = 24, vehicle = 0, ...generate } = options;
  const plans = planFleet({ seed, vehicles: vehicle + 1, minutes: seconds / 60 });
  const plan = plans[vehicle];
  if (plan === undefined) throw new Error('no plan');
  const chunks: Uint8Array[] = [];
  const generated = await generateRecording(
    plan,
    { write: async (bytes) => void chunks.push(bytes.slice()) },
    { ...smallRig, ...generate },
  );
  return { bytes: Buffer.concat(chunks), generated, plan };
}
