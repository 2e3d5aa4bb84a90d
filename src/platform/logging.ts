import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs: one line per event, with the fields operators filter on. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { service: 'drivetrain' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}
