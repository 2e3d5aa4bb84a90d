import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { CostGroup, CostRow, Recommendation } from '../../api/index.js';
import { useApi } from '../../app/session.js';
import {
  Card,
  DataTable,
  ErrorBanner,
  Loading,
  PageHeader,
  SelectField,
  Time,
  type Column,
} from '../../ui/index.js';
import { LinePlot, type PlotLine } from '../jobs/LinePlot.js';
import { formatMoney } from '../jobs/states.js';
import '../jobs/jobs.css';

const periods = [
  { days: 1, label: 'last 24 hours', bucket: 3600 },
  { days: 7, label: 'last 7 days', bucket: 6 * 3600 },
  { days: 30, label: 'last 30 days', bucket: 86_400 },
] as const;

const groups: readonly CostGroup[] = ['team', 'project', 'flavor'];

/** Accelerator cost per team, project or flavor over time, idle capacity, and savings to consider. */
export function CostPage() {
  const api = useApi();
  const [days, setDays] = useState<number>(7);
  const [by, setBy] = useState<CostGroup>('team');
  const [now] = useState(() => Date.now());
  const period = periods.find((p) => p.days === days) ?? periods[1];
  // The period ends now, never later: capacity of hours still to come is not cost yet. `now` is
  // fixed when the page opens, so the period does not move with every render.
  const to = Math.floor(now / 1000);
  const from = to - period.days * 86_400;
  const range = {
    from: new Date(from * 1000).toISOString(),
    to: new Date(to * 1000).toISOString(),
  };
  const report = useQuery({
    queryKey: ['cost', 'report', range.from, range.to, by],
    queryFn: ({ signal }) => api.cost.report({ ...range, by }, signal),
  });
  const series = useQuery({
    queryKey: ['cost', 'series', range.from, range.to, by],
    queryFn: ({ signal }) => api.cost.series({ ...range, by, bucket: period.bucket }, signal),
  });
  const recommendations = useQuery({
    queryKey: ['cost', 'recommendations', range.from, range.to],
    queryFn: ({ signal }) => api.cost.recommendations(range, signal),
  });
  const lines = useMemo((): PlotLine[] => {
    const data = series.data;
    if (data === undefined) return [];
    const keys = [...new Set(data.buckets.flatMap((b) => b.rows.map((r) => r.key)))];
    return keys.map((key) => ({
      label: key === '__idle__' ? 'idle capacity' : key,
      points: data.buckets.map(
        (b) =>
          [Date.parse(b.from) / 1000, b.rows.find((r) => r.key === key)?.totalCost ?? 0] as const,
      ),
    }));
  }, [series.data]);
  const currency = report.data?.currency ?? '';
  const columns: Column<CostRow>[] = [
    { header: by, cell: (r) => (r.key === '__idle__' ? <em>idle capacity</em> : r.key) },
    { header: 'Accelerator-hours', cell: (r) => r.acceleratorHours.toFixed(2) },
    { header: 'Allocated', cell: (r) => formatMoney(r.allocationCost, currency) },
    { header: 'Idle share', cell: (r) => formatMoney(r.idleCost, currency) },
    { header: 'Total', cell: (r) => <strong>{formatMoney(r.totalCost, currency)}</strong> },
  ];
  const recommendationColumns: Column<Recommendation>[] = [
    { header: 'Saving', cell: (r) => <strong>{formatMoney(r.saving, currency)}</strong> },
    { header: 'Kind', cell: (r) => r.kind },
    { header: 'Recommendation', cell: (r) => r.message },
  ];
  return (
    <>
      <PageHeader
        title="Cost"
        description="What accelerator time costs per team, project and flavor: every attempt (preempted and retried ones too) at its flavor's price, plus the capacity paid for but not allocated, split as OpenCost specifies."
        actions={
          <>
            <SelectField
              label="Period"
              value={String(days)}
              onChange={(e) => setDays(Number(e.target.value))}
            >
              {periods.map((p) => (
                <option key={p.days} value={p.days}>
                  {p.label}
                </option>
              ))}
            </SelectField>
            <SelectField label="By" value={by} onChange={(e) => setBy(e.target.value as CostGroup)}>
              {groups.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </SelectField>
          </>
        }
      />
      {report.error !== null && (
        <ErrorBanner title="The cost report could not be loaded" error={report.error} />
      )}
      {report.data !== undefined && (
        <Card title="Totals">
          <p className="muted">
            From <Time iso={range.from} /> to <Time iso={range.to} />
          </p>
          <dl className="cost-totals">
            <div>
              <dt>Capacity</dt>
              <dd>{formatMoney(report.data.assetCost, currency)}</dd>
            </div>
            <div>
              <dt>Allocated to jobs</dt>
              <dd>{formatMoney(report.data.allocationCost, currency)}</dd>
            </div>
            <div>
              <dt>Idle</dt>
              <dd>{formatMoney(report.data.idleCost, currency)}</dd>
            </div>
            <div>
              <dt>Idle vs allocated</dt>
              <dd>{report.data.idlePercent.toFixed(1)} %</dd>
            </div>
          </dl>
        </Card>
      )}
      <Card title={`Cost over time by ${by}`}>
        {series.error !== null && (
          <ErrorBanner title="The cost series could not be loaded" error={series.error} />
        )}
        {series.data === undefined ? (
          <Loading what="cost over time" />
        ) : lines.length === 0 ? (
          <p className="muted">No accelerator time was used in this period.</p>
        ) : (
          <LinePlot
            lines={lines}
            label={`Cost per ${by} over time`}
            xLabel="time"
            yLabel={currency}
            time
            height={260}
          />
        )}
      </Card>
      <Card title={`By ${by}`} flush>
        {report.data === undefined ? (
          <Loading what="the cost report" />
        ) : (
          <DataTable
            label={`Cost by ${by}`}
            columns={columns}
            rows={report.data.rows}
            rowKey={(r) => r.key}
            empty={<p className="muted card-body">No cost in this period.</p>}
          />
        )}
      </Card>
      <Card title="Recommendations" flush>
        {recommendations.error !== null && (
          <ErrorBanner
            title="Recommendations could not be worked out"
            error={recommendations.error}
          />
        )}
        {recommendations.data === undefined ? (
          <Loading what="recommendations" />
        ) : (
          <DataTable
            label="Recommendations"
            columns={recommendationColumns}
            rows={recommendations.data}
            rowKey={(r) => `${r.kind}/${r.subject}`}
            empty={<p className="muted card-body">Nothing to recommend for this period.</p>}
          />
        )}
      </Card>
    </>
  );
}
