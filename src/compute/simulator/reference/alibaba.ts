// Reference copy of ../alibaba.ts as it was before the single-pass reader of ADR 057, kept
// unchanged so property tests can check that the reader accepts, returns and rejects the same. Tests only.
import { InvalidInput } from '../../../platform/errors.js';

/**
 * Readers for the Alibaba GPU cluster trace 2023 ("openb", Weng et al., USENIX ATC '23):
 * pod lists and node lists as CSV text. Every row is checked; a bad cell is rejected with the
 * file, line and column it came from.
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

function rows(
  text: string,
  file: string,
  required: readonly string[],
): { header: string[]; lines: [number, string[]][] } {
  const all = text.split(/\r?\n/);
  const header = (all[0] ?? '').split(',').map((h) => h.trim());
  for (const column of required) {
    if (!header.includes(column)) {
      throw new InvalidInput(
        `${file}:1: missing column '${column}' (found ${header.join(', ') || 'nothing'})`,
        file,
      );
    }
  }
  const lines: [number, string[]][] = [];
  for (let i = 1; i < all.length; i++) {
    const line = all[i] as string;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== header.length) {
      throw new InvalidInput(
        `${file}:${i + 1}: expected ${header.length} cells, found ${cells.length}`,
        file,
      );
    }
    lines.push([i + 1, cells]);
  }
  return { header, lines };
}

function integer(
  cell: string | undefined,
  file: string,
  line: number,
  column: string,
  optional: true,
): number | undefined;
function integer(cell: string | undefined, file: string, line: number, column: string): number;
function integer(
  cell: string | undefined,
  file: string,
  line: number,
  column: string,
  optional = false,
): number | undefined {
  const text = (cell ?? '').trim();
  if (text === '' && optional) return undefined;
  if (!/^\d{1,15}$/.test(text)) {
    throw new InvalidInput(
      `${file}:${line}: column ${column}: expected a non-negative integer, got '${text}'`,
      column,
    );
  }
  return Number(text);
}

/** Parses a pod list (`openb_pod_list_*.csv`). */
export function parseAlibabaPods(text: string, file: string): TracePod[] {
  const { header, lines } = rows(text, file, podColumns);
  const at = (name: string) => header.indexOf(name);
  const pods: TracePod[] = [];
  const names = new Set<string>();
  for (const [line, cells] of lines) {
    const cell = (name: string) => (at(name) < 0 ? undefined : cells[at(name)]);
    const name = (cell('name') ?? '').trim();
    if (name === '') throw new InvalidInput(`${file}:${line}: column name: empty pod name`, 'name');
    if (names.has(name))
      throw new InvalidInput(`${file}:${line}: pod '${name}' appears twice`, 'name');
    names.add(name);
    const numGpu = integer(cell('num_gpu'), file, line, 'num_gpu');
    const gpuMilli = integer(cell('gpu_milli'), file, line, 'gpu_milli');
    if (gpuMilli > 1000 || (numGpu > 1 && gpuMilli !== 1000) || (numGpu === 0 && gpuMilli !== 0)) {
      throw new InvalidInput(
        `${file}:${line}: gpu_milli ${gpuMilli} does not match num_gpu ${numGpu} (sharing is only for single-GPU pods)`,
        'gpu_milli',
      );
    }
    const qos = (cell('qos') ?? '').trim();
    if (qos !== '' && !qosClasses.has(qos)) {
      throw new InvalidInput(`${file}:${line}: column qos: unknown class '${qos}'`, 'qos');
    }
    const creationTime = integer(cell('creation_time'), file, line, 'creation_time', true);
    const deletionTime = integer(cell('deletion_time'), file, line, 'deletion_time', true);
    const scheduledTime = integer(cell('scheduled_time'), file, line, 'scheduled_time', true);
    if (scheduledTime !== undefined && deletionTime !== undefined && deletionTime < scheduledTime) {
      throw new InvalidInput(
        `${file}:${line}: deletion_time is before scheduled_time`,
        'deletion_time',
      );
    }
    const spec = (cell('gpu_spec') ?? '').trim();
    pods.push({
      name,
      cpuMilli: integer(cell('cpu_milli'), file, line, 'cpu_milli'),
      memoryMiB: integer(cell('memory_mib'), file, line, 'memory_mib'),
      numGpu,
      gpuMilli,
      gpuSpec: spec === '' ? [] : spec.split('|'),
      qos: qos === '' ? undefined : (qos as QosClass),
      phase: cell('pod_phase')?.trim() || undefined,
      creationTime,
      deletionTime,
      scheduledTime,
    });
  }
  return pods;
}

/** Parses a node list (`openb_node_list_*.csv`). */
export function parseAlibabaNodes(text: string, file: string): TraceNode[] {
  const { header, lines } = rows(text, file, nodeColumns);
  const at = (name: string) => header.indexOf(name);
  const nodes: TraceNode[] = [];
  const names = new Set<string>();
  for (const [line, cells] of lines) {
    const name = (cells[at('sn')] ?? '').trim();
    if (name === '' || names.has(name)) {
      throw new InvalidInput(
        `${file}:${line}: column sn: empty or repeated machine name '${name}'`,
        'sn',
      );
    }
    names.add(name);
    const gpus = integer(cells[at('gpu')], file, line, 'gpu');
    const model = (cells[at('model')] ?? '').trim();
    if (gpus > 0 !== (model !== '')) {
      throw new InvalidInput(
        `${file}:${line}: a machine with ${gpus} GPUs must ${gpus > 0 ? 'name' : 'not name'} a model`,
        'model',
      );
    }
    nodes.push({
      name,
      cpuMilli: integer(cells[at('cpu_milli')], file, line, 'cpu_milli'),
      memoryMiB: integer(cells[at('memory_mib')], file, line, 'memory_mib'),
      gpus,
      model,
    });
  }
  if (nodes.length === 0) throw new InvalidInput(`${file}: the node list is empty`, file);
  return nodes;
}
