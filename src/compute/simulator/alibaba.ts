import { InvalidInput } from '../../platform/errors.js';

/**
 * Readers for the Alibaba GPU cluster trace 2023 ("openb", Weng et al., USENIX ATC '23):
 * pod lists and node lists as CSV text. Every row is checked; a bad cell is rejected with the
 * file, line and column it came from.
 *
 * The text is read in place: rows and cells are offsets into it, and integer cells are read
 * digit by digit, so a row costs no strings beyond the values it returns (ADR 057).
 */

export type QosClass = 'LS' | 'BE' | 'Burstable' | 'Guaranteed';

export interface TracePod {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly numGpu: number;
  /** Thousandths of each GPU; below 1000 only for GPU-sharing pods. */
  readonly gpuMilli: number;
  /** Allowed GPU models; empty means any. */
  readonly gpuSpec: readonly string[];
  readonly qos: QosClass | undefined;
  readonly phase: string | undefined;
  readonly creationTime: number | undefined;
  readonly deletionTime: number | undefined;
  readonly scheduledTime: number | undefined;
}

export interface TraceNode {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  /** GPU model, empty for CPU-only machines. */
  readonly model: string;
}

const podColumns = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli'] as const;
const nodeColumns = ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model'] as const;
const qosClasses = new Set(['LS', 'BE', 'Burstable', 'Guaranteed']);

const RETURN = 13;
const COMMA = 44;
const ZERO = 48;
const NINE = 57;

/** The rows of a CSV text, as offsets: row `i` spans `start[i]` to `end[i]` on line `line[i]`. */
class Table {
  readonly header: string[];
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly line: number[] = [];
  /** Offsets of the cells of the current row: cell `c` spans `cells[c]` to `cells[c + 1] - 1`. */
  readonly cells: Int32Array;

  constructor(
    readonly text: string,
    readonly file: string,
    required: readonly string[],
  ) {
    // Lines end at \n, with a \r before it dropped, as split(/\r?\n/) would cut them.
    let lineEnd = text.indexOf('\n');
    const headerEnd = lineEnd < 0 ? text.length : lineEnd;
    this.header = text
      .slice(0, headerEnd)
      .split(',')
      .map((h) => h.trim());
    for (const column of required) {
      if (!this.header.includes(column)) {
        throw new InvalidInput(
          `${file}:1: missing column '${column}' (found ${this.header.join(', ') || 'nothing'})`,
          file,
        );
      }
    }
    const width = this.header.length;
    this.cells = new Int32Array(width + 1);
    let lineNo = 1;
    while (lineEnd >= 0) {
      const start = lineEnd + 1;
      lineNo++;
      lineEnd = text.indexOf('\n', start);
      let end = lineEnd < 0 ? text.length : lineEnd;
      if (lineEnd >= 0 && end > start && text.charCodeAt(end - 1) === RETURN) end--;
      let commas = 0;
      for (let at = text.indexOf(',', start); at >= 0 && at < end; at = text.indexOf(',', at + 1)) {
        commas++;
      }
      if (commas === 0 && text.slice(start, end).trim() === '') continue;
      if (commas + 1 !== width) {
        throw new InvalidInput(
          `${file}:${lineNo}: expected ${width} cells, found ${commas + 1}`,
          file,
        );
      }
      this.start.push(start);
      this.end.push(end);
      this.line.push(lineNo);
    }
  }

  /** Reads the cell offsets of row `row` into `cells`. */
  select(row: number): void {
    const { text, cells } = this;
    const start = this.start[row] as number;
    const end = this.end[row] as number;
    let c = 0;
    cells[0] = start;
    for (let at = start; at < end; at++) {
      if (text.charCodeAt(at) === COMMA) cells[++c] = at + 1;
    }
    cells[c + 1] = end + 1;
  }

  /** The text of cell `c` of the selected row, trimmed; '' for a column the file lacks. */
  string(c: number): string {
    if (c < 0) return '';
    return this.text.slice(this.cells[c], (this.cells[c + 1] as number) - 1).trim();
  }

  /** The text of cell `c` of the selected row, untrimmed; undefined for a missing column. */
  raw(c: number): string | undefined {
    if (c < 0) return undefined;
    return this.text.slice(this.cells[c], (this.cells[c + 1] as number) - 1);
  }

  /**
   * Cell `c` of the selected row as a non-negative integer of at most 15 digits (surrounding
   * white space allowed); undefined when it is empty and `optional`.
   */
  integer(c: number, row: number, column: string, optional: boolean): number | undefined {
    if (c >= 0) {
      const from = this.cells[c] as number;
      const to = (this.cells[c + 1] as number) - 1;
      let value = 0;
      let at = from;
      for (; at < to; at++) {
        const code = this.text.charCodeAt(at);
        if (code < ZERO || code > NINE) break;
        value = value * 10 + (code - ZERO);
      }
      // The common case, nothing but digits, is read here; anything else takes the slow path.
      if (at === to && to > from && to - from <= 15) return value;
    }
    const text = c < 0 ? '' : this.string(c);
    if (text === '' && optional) return undefined;
    if (!/^\d{1,15}$/.test(text)) {
      throw new InvalidInput(
        `${this.file}:${this.line[row] as number}: column ${column}: expected a non-negative integer, got '${text}'`,
        column,
      );
    }
    return Number(text);
  }
}

/** Parses a pod list (`openb_pod_list_*.csv`). */
export function parseAlibabaPods(text: string, file: string): TracePod[] {
  const table = new Table(text, file, podColumns);
  const at = (name: string) => table.header.indexOf(name);
  const [name_, cpu, memory, gpu, milli, spec_, qos_, phase_, created, deleted, scheduled] = [
    at('name'),
    at('cpu_milli'),
    at('memory_mib'),
    at('num_gpu'),
    at('gpu_milli'),
    at('gpu_spec'),
    at('qos'),
    at('pod_phase'),
    at('creation_time'),
    at('deletion_time'),
    at('scheduled_time'),
  ] as number[];
  const pods: TracePod[] = [];
  const names = new Set<string>();
  for (let row = 0; row < table.start.length; row++) {
    table.select(row);
    const line = table.line[row] as number;
    const name = table.string(name_ as number);
    if (name === '') throw new InvalidInput(`${file}:${line}: column name: empty pod name`, 'name');
    if (names.has(name))
      throw new InvalidInput(`${file}:${line}: pod '${name}' appears twice`, 'name');
    names.add(name);
    const numGpu = table.integer(gpu as number, row, 'num_gpu', false) as number;
    const gpuMilli = table.integer(milli as number, row, 'gpu_milli', false) as number;
    if (gpuMilli > 1000 || (numGpu > 1 && gpuMilli !== 1000) || (numGpu === 0 && gpuMilli !== 0)) {
      throw new InvalidInput(
        `${file}:${line}: gpu_milli ${gpuMilli} does not match num_gpu ${numGpu} (sharing is only for single-GPU pods)`,
        'gpu_milli',
      );
    }
    const qos = table.string(qos_ as number);
    if (qos !== '' && !qosClasses.has(qos)) {
      throw new InvalidInput(`${file}:${line}: column qos: unknown class '${qos}'`, 'qos');
    }
    const creationTime = table.integer(created as number, row, 'creation_time', true);
    const deletionTime = table.integer(deleted as number, row, 'deletion_time', true);
    const scheduledTime = table.integer(scheduled as number, row, 'scheduled_time', true);
    if (scheduledTime !== undefined && deletionTime !== undefined && deletionTime < scheduledTime) {
      throw new InvalidInput(
        `${file}:${line}: deletion_time is before scheduled_time`,
        'deletion_time',
      );
    }
    const spec = table.string(spec_ as number);
    pods.push({
      name,
      cpuMilli: table.integer(cpu as number, row, 'cpu_milli', false) as number,
      memoryMiB: table.integer(memory as number, row, 'memory_mib', false) as number,
      numGpu,
      gpuMilli,
      gpuSpec: spec === '' ? [] : spec.split('|'),
      qos: qos === '' ? undefined : (qos as QosClass),
      phase: table.raw(phase_ as number)?.trim() || undefined,
      creationTime,
      deletionTime,
      scheduledTime,
    });
  }
  return pods;
}

/** Parses a node list (`openb_node_list_*.csv`). */
export function parseAlibabaNodes(text: string, file: string): TraceNode[] {
  const table = new Table(text, file, nodeColumns);
  const at = (name: string) => table.header.indexOf(name);
  const [sn, cpu, memory, gpu, model_] = nodeColumns.map(at);
  const nodes: TraceNode[] = [];
  const names = new Set<string>();
  for (let row = 0; row < table.start.length; row++) {
    table.select(row);
    const line = table.line[row] as number;
    const name = table.string(sn as number);
    if (name === '' || names.has(name)) {
      throw new InvalidInput(
        `${file}:${line}: column sn: empty or repeated machine name '${name}'`,
        'sn',
      );
    }
    names.add(name);
    const gpus = table.integer(gpu as number, row, 'gpu', false) as number;
    const model = table.string(model_ as number);
    if (gpus > 0 !== (model !== '')) {
      throw new InvalidInput(
        `${file}:${line}: a machine with ${gpus} GPUs must ${gpus > 0 ? 'name' : 'not name'} a model`,
        'model',
      );
    }
    nodes.push({
      name,
      cpuMilli: table.integer(cpu as number, row, 'cpu_milli', false) as number,
      memoryMiB: table.integer(memory as number, row, 'memory_mib', false) as number,
      gpus,
      model,
    });
  }
  if (nodes.length === 0) throw new InvalidInput(`${file}: the node list is empty`, file);
  return nodes;
}
