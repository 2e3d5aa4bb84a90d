import { useState } from 'react';
import { stringify } from 'yaml';
import type { DatasetDefinition, DatasetRequirement } from '../../api/index.js';
import { Button, DataTable } from '../../ui/index.js';
import { definitionSource } from './definition-source.js';

function requirementText(requirement: DatasetRequirement): string {
  if (requirement.kind === 'countries') {
    return `at least ${requirement.minSamples} ${requirement.minSamples === 1 ? 'sample' : 'samples'} from each of ${requirement.countries.join(', ')}`;
  }
  const parts = [
    requirement.minPercent === undefined ? undefined : `at least ${requirement.minPercent} %`,
    requirement.minSamples === undefined
      ? undefined
      : `at least ${requirement.minSamples} ${requirement.minSamples === 1 ? 'sample' : 'samples'}`,
  ].filter((p) => p !== undefined);
  return `${parts.join(' and ')} of samples tagged ${requirement.tag}`;
}

const splitKeyText: Record<DatasetDefinition['split']['by'], string> = {
  recording: 'whole recordings go to one split each',
  vehicle: 'all recordings of a vehicle go to one split',
  cell: 'geographic cells go to one split each',
};

/** A definition in words and tables: query, sync spec, split rule, sampling and requirements. */
export function DefinitionSummary({ definition }: { readonly definition: DatasetDefinition }) {
  const { sync, split } = definition;
  const streams = Object.entries(sync.streams).map(([name, selector]) => ({ name, ...selector }));
  return (
    <div className="definition">
      <dl className="detail-list">
        <dt>Name</dt>
        <dd>{definition.name}</dd>
        {definition.description !== '' && (
          <>
            <dt>Description</dt>
            <dd>{definition.description}</dd>
          </>
        )}
        <dt>Query</dt>
        <dd>
          <code>{definition.query}</code>
        </dd>
        <dt>Data product</dt>
        <dd>
          {definition.product ?? <span className="muted">any segment your teams may read</span>}
        </dd>
        <dt>Sync policy</dt>
        <dd>
          {sync.policy}, built around stream <strong>{sync.reference}</strong>
          {sync.policy === 'reference' &&
            `; other streams within ${sync.defaultToleranceMs} ms unless set below`}
          {sync.slopMs !== undefined && `; stamps at most ${sync.slopMs} ms apart`}
          {sync.maxIntervalMs !== undefined && `; a set spans at most ${sync.maxIntervalMs} ms`}
        </dd>
        <dt>Split</dt>
        <dd>
          by {split.by} ({splitKeyText[split.by]}
          {split.by === 'cell' && ` of ${split.cellDegrees}°`}):{' '}
          {Object.entries(split.fractions)
            .map(([name, share]) => `${name} ${Number((share * 100).toFixed(2))} %`)
            .join(', ')}
          {split.seed !== '' && (
            <span className="muted">
              {' '}
              (seed <code>{split.seed}</code>)
            </span>
          )}
        </dd>
        <dt>Sampling</dt>
        <dd>
          {definition.sampleRateHz === null
            ? 'every sample of the reference stream'
            : `at most ${definition.sampleRateHz} samples per second of recording`}
        </dd>
        <dt>Requirements</dt>
        <dd>
          {definition.requirements.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="plain-list">
              {definition.requirements.map((r) => (
                <li key={r.id}>
                  <strong>{r.id}</strong>: {requirementText(r)}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      <DataTable
        label="Streams"
        columns={[
          { header: 'Stream', cell: (s) => <span className="mono">{s.name}</span> },
          { header: 'Sensor', cell: (s) => s.sensor },
          {
            header: 'Topic',
            cell: (s) =>
              s.topic === undefined ? <span className="muted">any</span> : <code>{s.topic}</code>,
          },
          {
            header: 'Required',
            cell: (s) => (sync.required.includes(s.name) ? 'yes' : 'no'),
          },
          {
            header: 'Tolerance',
            cell: (s) =>
              s.name === sync.reference
                ? 'reference'
                : sync.policy === 'reference'
                  ? `${sync.toleranceMs[s.name] ?? sync.defaultToleranceMs} ms`
                  : '—',
          },
        ]}
        rows={streams}
        rowKey={(s) => s.name}
        empty={<span className="muted">no streams</span>}
      />
    </div>
  );
}

/** The definition with every default filled in, as YAML or JSON a build accepts. */
export function RawDefinition({ definition }: { readonly definition: DatasetDefinition }) {
  const [format, setFormat] = useState<'yaml' | 'json'>('yaml');
  const source = definitionSource(definition);
  const text = format === 'yaml' ? stringify(source) : JSON.stringify(source, null, 2);
  return (
    <details className="raw-definition">
      <summary>Definition as {format === 'yaml' ? 'YAML' : 'JSON'}</summary>
      <div className="button-row" role="group" aria-label="Format">
        <Button size="small" aria-pressed={format === 'yaml'} onClick={() => setFormat('yaml')}>
          YAML
        </Button>
        <Button size="small" aria-pressed={format === 'json'} onClick={() => setFormat('json')}>
          JSON
        </Button>
      </div>
      <pre
        className="code-block"
        aria-label={`Definition as ${format === 'yaml' ? 'YAML' : 'JSON'}`}
      >
        {text}
      </pre>
    </details>
  );
}
