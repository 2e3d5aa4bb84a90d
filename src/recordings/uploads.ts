import type { Kysely } from 'kysely';
import {
  Conflict,
  Forbidden,
  InvalidInput,
  NotFound,
  newId,
  type ObjectBody,
  type ObjectStore,
  type PlatformTables,
  type Principal,
} from '../platform/index.js';
import type { RecordingsTables, UploadsTable } from './tables.js';

/** Parts of a resumable upload are this large (the last one may be smaller). */
export const defaultPartSize = 64 * 1024 * 1024;
/** The largest file an upload may declare: 10 TiB. */
export const maxUploadSize = 10 * 1024 ** 4;

export interface UploadPart {
  readonly number: number;
  readonly size: number;
  readonly sha256: string;
}

export interface Upload {
  readonly id: string;
  readonly name: string;
  readonly teamId: string;
  readonly vehicle: string | null;
  readonly size: number;
  readonly partSize: number;
  readonly partCount: number;
  readonly parts: UploadPart[];
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly recordingId: string | null;
}

const partKey = (id: string, number: number): string =>
  `uploads/${id}/${String(number).padStart(6, '0')}`;

/**
 * Resumable uploads of large recordings: the client declares the file, sends its parts in any
 * order and as often as needed (a part sent again replaces the earlier one), asks which parts
 * arrived after an interruption, and completes. Completing streams the parts, in order, into the
 * recording's object.
 */
export class Uploads {
  private readonly db: Kysely<PlatformTables & RecordingsTables>;

  constructor(
    db: Kysely<PlatformTables>,
    private readonly objects: ObjectStore,
  ) {
    this.db = db.withTables<RecordingsTables>();
  }

  async create(
    actor: Principal,
    input: { name: string; teamId: string; vehicle?: string | null; size: number },
  ): Promise<Upload> {
    if (!Number.isSafeInteger(input.size) || input.size < 1 || input.size > maxUploadSize) {
      throw new InvalidInput(`size must be an integer from 1 to ${maxUploadSize} bytes`, 'size');
    }
    const row: UploadsTable = {
      id: newId('upl'),
      team_id: input.teamId,
      name: input.name,
      vehicle: input.vehicle ?? null,
      size: input.size,
      part_size: defaultPartSize,
      created_by: actor.ref,
      created_at: Date.now(),
      completed_at: null,
      recording_id: null,
    };
    await this.db.insertInto('uploads').values(row).execute();
    return this.describe(row);
  }

  /** The upload, if the caller started it (or is a platform admin). */
  async get(actor: Principal, id: string): Promise<Upload> {
    return this.describe(await this.row(actor, id));
  }

  private async row(actor: Principal, id: string): Promise<UploadsTable> {
    const row = await this.db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('upload', id);
    if (row.created_by !== actor.ref && !actor.platformAdmin)
      throw new Forbidden(`upload ${id} belongs to someone else`);
    return row;
  }

  private async describe(row: UploadsTable): Promise<Upload> {
    const parts: UploadPart[] = [];
    for (let cursor: string | undefined; ;) {
      const page = await this.objects.list(
        `uploads/${row.id}/`,
        cursor === undefined ? { limit: 500 } : { limit: 500, cursor },
      );
      for (const object of page.objects) {
        parts.push({
          number: Number(object.key.slice(object.key.lastIndexOf('/') + 1)),
          size: object.size,
          sha256: object.sha256,
        });
      }
      if (page.next === undefined) break;
      cursor = page.next;
    }
    return {
      id: row.id,
      name: row.name,
      teamId: row.team_id,
      vehicle: row.vehicle,
      size: row.size,
      partSize: row.part_size,
      partCount: Math.ceil(row.size / row.part_size),
      parts,
      createdAt: new Date(row.created_at).toISOString(),
      completedAt: row.completed_at === null ? null : new Date(row.completed_at).toISOString(),
      recordingId: row.recording_id,
    };
  }

  /** Stores one part; its size must be the part size (the last part: the rest of the file). */
  async putPart(
    actor: Principal,
    id: string,
    number: number,
    body: ObjectBody,
  ): Promise<UploadPart> {
    const row = await this.row(actor, id);
    if (row.completed_at !== null) throw new Conflict(`upload ${id} is already complete`);
    const partCount = Math.ceil(row.size / row.part_size);
    if (!Number.isInteger(number) || number < 1 || number > partCount) {
      throw new InvalidInput(`part number must be from 1 to ${partCount}`, 'number');
    }
    const expected =
      number < partCount ? row.part_size : row.size - row.part_size * (partCount - 1);
    let received = 0;
    async function* limited(): AsyncGenerator<Uint8Array> {
      const chunks = body instanceof Uint8Array ? [body] : body;
      for await (const chunk of chunks) {
        received += chunk.byteLength;
        if (received > expected)
          throw new InvalidInput(`part ${number} must be ${expected} bytes; more arrived`, 'body');
        yield chunk;
      }
      if (received !== expected)
        throw new InvalidInput(
          `part ${number} must be ${expected} bytes; ${received} arrived`,
          'body',
        );
    }
    const info = await this.objects.put(partKey(id, number), limited());
    return { number, size: info.size, sha256: info.sha256 };
  }

  /**
   * Checks that every part arrived and hands the whole file, streamed part by part, to `add`;
   * then removes the parts. `add` must store the bytes before it returns.
   */
  async complete<T extends { recording: { id: string } }>(
    actor: Principal,
    id: string,
    add: (upload: Upload, body: AsyncIterable<Uint8Array>) => Promise<T>,
  ): Promise<T> {
    const row = await this.row(actor, id);
    if (row.completed_at !== null) throw new Conflict(`upload ${id} is already complete`);
    const upload = await this.describe(row);
    const have = new Set(upload.parts.map((p) => p.number));
    const missing = Array.from({ length: upload.partCount }, (_, i) => i + 1).filter(
      (n) => !have.has(n),
    );
    if (missing.length > 0) {
      throw new InvalidInput(
        `upload ${id} is missing parts ${missing.slice(0, 20).join(', ')}`,
        'parts',
        { missing },
      );
    }
    const objects = this.objects;
    async function* whole(): AsyncGenerator<Uint8Array> {
      for (let number = 1; number <= upload.partCount; number += 1)
        yield* await objects.get(partKey(id, number));
    }
    const result = await add(upload, whole());
    await this.db
      .updateTable('uploads')
      .set({ completed_at: Date.now(), recording_id: result.recording.id })
      .where('id', '=', id)
      .execute();
    for (let number = 1; number <= upload.partCount; number += 1)
      await this.objects.delete(partKey(id, number));
    return result;
  }

  /** Abandons an upload and removes its parts. */
  async abort(actor: Principal, id: string): Promise<void> {
    const row = await this.row(actor, id);
    const upload = await this.describe(row);
    for (const part of upload.parts) await this.objects.delete(partKey(id, part.number));
    await this.db.deleteFrom('uploads').where('id', '=', id).execute();
  }
}
