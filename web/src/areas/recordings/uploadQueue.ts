import { messageOf } from '../../api/index.js';
import { RateMeter, uploadFile, type UploadOutcome, type UploadService } from './uploader.js';

export type QueuedState =
  'waiting' | 'sending' | 'paused' | 'failed' | 'cancelling' | 'cancelled' | 'done';

/** A file chosen for upload and how far it got. */
export interface QueuedUpload {
  readonly key: number;
  readonly name: string;
  readonly size: number;
  readonly team: string | undefined;
  readonly vehicle: string | undefined;
  readonly state: QueuedState;
  /** Bytes that reached the server. */
  readonly sent: number;
  /** Bytes per second over the last seconds, while sending. */
  readonly rate: number | undefined;
  /** The server's upload, once started: a paused or failed file resumes it. */
  readonly uploadId: string | undefined;
  /** Set while waiting to try again after a dropped connection. */
  readonly retrying: { readonly attempt: number; readonly message: string } | undefined;
  readonly error: unknown;
  readonly outcome: UploadOutcome | undefined;
}

/** Whether a file still has work ahead of it (so leaving the page would stop it). */
export function isActive(upload: QueuedUpload): boolean {
  return upload.state === 'waiting' || upload.state === 'sending' || upload.state === 'cancelling';
}

interface Entry {
  upload: QueuedUpload;
  readonly file: Blob;
}

export interface QueueOptions {
  readonly now?: () => number;
  /** Told each recording an upload made (or found already there). */
  readonly onDone?: (outcome: UploadOutcome) => void;
  readonly retries?: number;
  readonly firstDelayMs?: number;
}

/**
 * The files a user chose, uploaded one after the other with the resumable API, each paused,
 * resumed or cancelled on its own. It lives outside React so uploads go on while the user looks
 * at other pages; pages read it with `useSyncExternalStore(queue.subscribe, queue.snapshot)`.
 */
export class UploadQueue {
  private entries: Entry[] = [];
  private shown: readonly QueuedUpload[] = [];
  private readonly listeners = new Set<() => void>();
  private running: { key: number; controller: AbortController } | undefined;
  private nextKey = 1;
  private readonly now: () => number;

  constructor(
    private readonly service: UploadService & { abort(id: string): Promise<unknown> },
    private readonly options: QueueOptions = {},
  ) {
    this.now = options.now ?? (() => Date.now());
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly snapshot = (): readonly QueuedUpload[] => this.shown;

  /** Queues files for the team and vehicle given. */
  add(
    files: readonly (Blob & { readonly name: string })[],
    target: { team?: string; vehicle?: string },
  ): void {
    for (const file of files) {
      const empty = file.size === 0;
      this.entries.push({
        file,
        upload: {
          key: this.nextKey++,
          name: file.name,
          size: file.size,
          team: target.team,
          vehicle: target.vehicle,
          state: empty ? 'failed' : 'waiting',
          sent: 0,
          rate: undefined,
          uploadId: undefined,
          retrying: undefined,
          error: empty ? new Error('the file is empty') : undefined,
          outcome: undefined,
        },
      });
    }
    this.changed();
    this.pump();
  }

  /** Stops sending a file, keeping what reached the server so it can resume. */
  pause(key: number): void {
    const entry = this.entry(key);
    if (entry === undefined) return;
    if (entry.upload.state === 'waiting') this.update(key, { state: 'paused' });
    if (entry.upload.state === 'sending' && this.running?.key === key) {
      this.update(key, { state: 'paused', rate: undefined, retrying: undefined });
      this.running.controller.abort();
    }
  }

  /** Queues a paused or failed file again; it goes on from the parts the server has. */
  resume(key: number): void {
    const entry = this.entry(key);
    if (entry === undefined || entry.file.size === 0) return;
    if (entry.upload.state !== 'paused' && entry.upload.state !== 'failed') return;
    this.update(key, { state: 'waiting', error: undefined });
    this.pump();
  }

  /** Stops a file for good and removes its parts from the server. */
  cancel(key: number): void {
    const entry = this.entry(key);
    if (
      entry === undefined ||
      !['waiting', 'sending', 'paused', 'failed'].includes(entry.upload.state)
    )
      return;
    if (this.running?.key === key) {
      // The running upload removes its parts once its request has stopped (see run).
      this.update(key, { state: 'cancelling', rate: undefined, retrying: undefined });
      this.running.controller.abort();
      return;
    }
    void this.discard(key);
  }

  /** Pauses every file (the session that started them ended). */
  pauseAll(): void {
    for (const { upload } of this.entries) this.pause(upload.key);
  }

  /** Takes a finished file off the list. */
  dismiss(key: number): void {
    const entry = this.entry(key);
    if (entry === undefined || isActive(entry.upload)) return;
    this.entries = this.entries.filter((e) => e.upload.key !== key);
    this.changed();
  }

  private entry(key: number): Entry | undefined {
    return this.entries.find((e) => e.upload.key === key);
  }

  private update(key: number, patch: Partial<QueuedUpload>): void {
    const entry = this.entry(key);
    if (entry === undefined) return;
    entry.upload = { ...entry.upload, ...patch };
    this.changed();
  }

  private changed(): void {
    this.shown = this.entries.map((e) => e.upload);
    for (const listener of this.listeners) listener();
  }

  private async discard(key: number): Promise<void> {
    const uploadId = this.entry(key)?.upload.uploadId;
    this.update(key, { state: 'cancelling' });
    try {
      if (uploadId !== undefined) await this.service.abort(uploadId);
      this.update(key, { state: 'cancelled', error: undefined });
    } catch (error) {
      this.update(key, {
        state: 'cancelled',
        error: new Error(`the parts sent could not be removed: ${messageOf(error)}`),
      });
    }
  }

  private pump(): void {
    if (this.running !== undefined) return;
    const next = this.entries.find((e) => e.upload.state === 'waiting');
    if (next === undefined) return;
    const controller = new AbortController();
    this.running = { key: next.upload.key, controller };
    void this.run(next, controller).finally(() => {
      this.running = undefined;
      this.pump();
    });
  }

  private async run(entry: Entry, controller: AbortController): Promise<void> {
    const { key, uploadId, name, team, vehicle } = entry.upload;
    const meter = new RateMeter();
    this.update(key, { state: 'sending', retrying: undefined, rate: undefined });
    try {
      const outcome = await uploadFile({
        service: this.service,
        file: entry.file,
        describe: {
          name,
          ...(team === undefined ? {} : { team }),
          ...(vehicle === undefined ? {} : { vehicle }),
        },
        resumeId: uploadId,
        signal: controller.signal,
        onUpload: (upload) => this.update(key, { uploadId: upload.id }),
        onProgress: (sent) => {
          meter.add(this.now(), sent);
          this.update(key, { sent, rate: meter.rate(), retrying: undefined });
        },
        onRetry: (error, attempt) => {
          meter.reset();
          this.update(key, { rate: undefined, retrying: { attempt, message: messageOf(error) } });
        },
        ...(this.options.retries === undefined ? {} : { retries: this.options.retries }),
        ...(this.options.firstDelayMs === undefined
          ? {}
          : { firstDelayMs: this.options.firstDelayMs }),
      });
      this.update(key, { state: 'done', outcome, sent: entry.file.size, rate: undefined });
      this.options.onDone?.(outcome);
    } catch (error) {
      const state = this.entry(key)?.upload.state;
      if (state === 'cancelling') await this.discard(key);
      else if (state !== 'paused')
        this.update(key, { state: 'failed', error, rate: undefined, retrying: undefined });
    }
  }
}
