/**
 * The metrics client of drivetrain jobs: one line per value on stdout, which the platform parses
 * as it stores the log (`##drivetrain metric {"step":…,"name":…,"value":…}`). Works unchanged
 * outside the platform, where the lines are plain output.
 */
export function reportMetric(step: number, name: string, value: number): void {
  process.stdout.write(`##drivetrain metric ${JSON.stringify({ step, name, value })}\n`);
}
