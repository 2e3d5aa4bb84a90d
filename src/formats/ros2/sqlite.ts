/**
 * One `.db3` file of a rosbag2 bag with SQLite storage. The formats context does no I/O, so
 * the caller opens the database with a SQLite binding and hands over a `SqliteDatabase` that
 * runs read-only queries (ADR 022); everything rosbag2-specific (schema, queries, validation)
 * lives here.
 */
import { CorruptRecording, DrivetrainError } from '../../platform/errors.js';
import type { MessageQuery, Nanoseconds } from '../source.js';

/** A value bound to a query parameter. */
export type SqlValue = string | number | bigint | null;

/**
 * What the rosbag2 SQLite reader needs from a SQLite binding: read-only queries. Integer
 * columns must come back as `bigint` when they exceed 2^53 (timestamps do: with better-sqlite3,
 * use `statement.safeIntegers(true)`), BLOB columns as `Uint8Array`.
 */
export interface SqliteDatabase {
  /** Runs a query and returns all rows, as column-name keyed objects. */
  all(sql: string, params?: readonly SqlValue[]): Promise<Record<string, unknown>[]>;
  /** Runs a query and yields its rows one by one, without holding them all. */
  iterate(sql: string, params?: readonly SqlValue[]): AsyncIterable<Record<string, unknown>>;
}

/** A topic row of the `topics` table, with its definition when the bag stores one. */
export interface Db3Topic {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly serializationFormat: string;
  readonly offeredQosProfiles: string;
  readonly typeDescriptionHash: string;
  /** `ros2msg`, `ros2idl`, or empty when the bag has no definition for the type. */
  readonly definitionEncoding: string;
  readonly definition: string;
}

/** Message count and time range of one topic. */
export interface Db3TopicStats {
  readonly count: number;
  readonly start?: Nanoseconds;
  readonly end?: Nanoseconds;
}

/** One row of the `messages` table. */
export interface Db3Message {
  readonly topicId: number;
  readonly timestamp: Nanoseconds;
  readonly data: Uint8Array;
}

const MAX_TIME = 0x7fff_ffff_ffff_ffffn;

/** A rosbag2 SQLite file read through a `SqliteDatabase`. */
export class Db3File {
  private tables: Promise<Set<string>> | undefined;

  constructor(
    readonly file: string,
    private readonly db: SqliteDatabase,
  ) {}

  /** Wraps binding errors (a damaged file, a file that is not SQLite) as `CorruptRecording`. */
  private fail(error: unknown, what: string): DrivetrainError {
    if (error instanceof DrivetrainError) return error;
    const message = error instanceof Error ? error.message : String(error);
    // SQLite does not say where in the file it found the damage; offset 0 stands for the file.
    return new CorruptRecording(this.file, 0, `${what}: SQLite reports '${message}'`, {
      cause: error,
    });
  }

  private async all(
    sql: string,
    params: readonly SqlValue[],
    what: string,
  ): Promise<Record<string, unknown>[]> {
    try {
      return await this.db.all(sql, params);
    } catch (error) {
      throw this.fail(error, what);
    }
  }

  private tableNames(): Promise<Set<string>> {
    this.tables ??= this.all(
      "SELECT name FROM sqlite_master WHERE type = 'table'",
      [],
      'cannot list tables',
    ).then((rows) => new Set(rows.map((row) => String(row['name']))));
    return this.tables;
  }

  /** Checks that the file has the tables of a rosbag2 database. */
  async check(): Promise<void> {
    const tables = await this.tableNames();
    for (const table of ['topics', 'messages']) {
      if (!tables.has(table)) {
        throw new CorruptRecording(
          this.file,
          0,
          `not a rosbag2 database: it has no '${table}' table`,
        );
      }
    }
  }

  /** The topics of this file, with message definitions where the bag stores them. */
  async topics(): Promise<Db3Topic[]> {
    await this.check();
    const tables = await this.tableNames();
    const definitions = new Map<string, { encoding: string; text: string }>();
    if (tables.has('message_definitions')) {
      const rows = await this.all(
        'SELECT topic_type, encoding, encoded_message_definition FROM message_definitions',
        [],
        'cannot read message definitions',
      );
      for (const row of rows) {
        const type = this.text(row, 'topic_type', 'message_definitions');
        const encoding = this.text(row, 'encoding', 'message_definitions');
        const text = this.text(row, 'encoded_message_definition', 'message_definitions');
        if (encoding !== 'unknown' && text !== '') definitions.set(type, { encoding, text });
      }
    }
    const rows = await this.all('SELECT * FROM topics ORDER BY id', [], 'cannot read topics');
    return rows.map((row) => {
      const type = this.text(row, 'type', 'topics');
      const definition = definitions.get(type);
      return {
        id: this.id(row, 'id', 'topics'),
        name: this.text(row, 'name', 'topics'),
        type,
        serializationFormat: this.text(row, 'serialization_format', 'topics'),
        offeredQosProfiles:
          row['offered_qos_profiles'] === undefined
            ? ''
            : this.text(row, 'offered_qos_profiles', 'topics'),
        typeDescriptionHash:
          row['type_description_hash'] === undefined
            ? ''
            : this.text(row, 'type_description_hash', 'topics'),
        definitionEncoding: definition?.encoding ?? '',
        definition: definition?.text ?? '',
      };
    });
  }

  /** Count and time range of every topic that has messages, by topic id. */
  async stats(): Promise<Map<number, Db3TopicStats>> {
    const rows = await this.all(
      'SELECT topic_id, COUNT(*) AS count, MIN(timestamp) AS start, MAX(timestamp) AS end FROM messages GROUP BY topic_id',
      [],
      'cannot count messages',
    );
    const stats = new Map<number, Db3TopicStats>();
    for (const row of rows) {
      const start = this.time(row, 'start', 'messages');
      const end = this.time(row, 'end', 'messages');
      stats.set(this.id(row, 'topic_id', 'messages'), {
        count: Number(this.time(row, 'count', 'messages') ?? 0n),
        ...(start === undefined ? {} : { start }),
        ...(end === undefined ? {} : { end }),
      });
    }
    return stats;
  }

  /** Messages in timestamp order (ties in insertion order), restricted to `topicIds` when given. */
  async *messages(
    query: MessageQuery,
    topicIds: readonly number[] | undefined,
  ): AsyncGenerator<Db3Message> {
    const start = query.startTime ?? 0n;
    const end = query.endTime === undefined || query.endTime > MAX_TIME ? MAX_TIME : query.endTime;
    if (topicIds !== undefined && topicIds.length === 0) return;
    const params: SqlValue[] = [start, end];
    let sql =
      'SELECT topic_id, timestamp, data FROM messages WHERE timestamp >= ? AND timestamp <= ?';
    if (topicIds !== undefined) {
      sql += ` AND topic_id IN (${topicIds.map(() => '?').join(', ')})`;
      params.push(...topicIds);
    }
    sql += ' ORDER BY timestamp, id';
    let rows: AsyncIterator<Record<string, unknown>>;
    try {
      rows = this.db.iterate(sql, params)[Symbol.asyncIterator]();
    } catch (error) {
      throw this.fail(error, 'cannot read messages');
    }
    for (;;) {
      let next: IteratorResult<Record<string, unknown>>;
      try {
        next = await rows.next();
      } catch (error) {
        throw this.fail(error, 'cannot read messages');
      }
      if (next.done === true) return;
      const row = next.value;
      const data = row['data'];
      if (!(data instanceof Uint8Array)) {
        throw new CorruptRecording(
          this.file,
          0,
          `messages.data holds ${typeof data}, expected a BLOB`,
        );
      }
      yield {
        topicId: this.id(row, 'topic_id', 'messages'),
        timestamp: this.time(row, 'timestamp', 'messages')!,
        data,
      };
    }
  }

  private text(row: Record<string, unknown>, column: string, table: string): string {
    const value = row[column];
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array) return new TextDecoder().decode(value);
    throw new CorruptRecording(
      this.file,
      0,
      `${table}.${column} holds ${value === null ? 'NULL' : typeof value}, expected text`,
    );
  }

  private id(row: Record<string, unknown>, column: string, table: string): number {
    const value = row[column];
    const id = typeof value === 'bigint' ? Number(value) : value;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      throw new CorruptRecording(
        this.file,
        0,
        `${table}.${column} holds ${describe(value)}, expected an integer id`,
      );
    }
    return id;
  }

  private time(row: Record<string, unknown>, column: string, table: string): bigint | undefined {
    const value = row[column];
    if (value === null) return undefined;
    if (typeof value === 'bigint' && value >= 0n) return value;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
      return BigInt(value);
    if (typeof value === 'number' && Number.isInteger(value)) {
      throw new CorruptRecording(
        this.file,
        0,
        `${table}.${column} came back as a rounded number (${value}); the SQLite binding must return 64-bit integers as bigint`,
      );
    }
    throw new CorruptRecording(
      this.file,
      0,
      `${table}.${column} holds ${describe(value)}, expected a non-negative integer`,
    );
  }
}

/** A column value for an error message. */
function describe(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string')
    return String(value);
  return value instanceof Uint8Array ? `a ${value.byteLength}-byte BLOB` : typeof value;
}
