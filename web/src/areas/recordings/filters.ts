import {
  recordingStatuses,
  sensorKinds,
  type RecordingStatus,
  type SensorKind,
} from '../../api/index.js';

/** The search of the recordings list; it lives in the URL, so a search can be shared as a link. */
export interface RecordingFilters {
  readonly vehicle?: string;
  readonly status?: RecordingStatus;
  readonly sensor?: SensorKind;
  readonly country?: string;
  readonly tag?: string;
  /** ISO time. */
  readonly from?: string;
  /** ISO time. */
  readonly to?: string;
}

/** The order filters are written into the URL in. */
const keys = ['vehicle', 'sensor', 'country', 'tag', 'status', 'from', 'to'] as const;

const isStatus = (value: string): value is RecordingStatus =>
  (recordingStatuses as readonly string[]).includes(value);
const isSensor = (value: string): value is SensorKind =>
  (sensorKinds as readonly string[]).includes(value);
const isTime = (value: string): boolean => !Number.isNaN(Date.parse(value));

/**
 * The filters a URL's query names; a value the API would refuse (an unknown status, a country
 * that is not two letters, a time that is not a time) is left out rather than sent.
 */
export function filtersFromParams(params: URLSearchParams): RecordingFilters {
  const text = (key: string): string | undefined => {
    const value = params.get(key)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const status = text('status');
  const sensor = text('sensor');
  const country = text('country')?.toUpperCase();
  const from = text('from');
  const to = text('to');
  const vehicle = text('vehicle');
  const tag = text('tag');
  return {
    ...(vehicle !== undefined && vehicle.length <= 100 && { vehicle }),
    ...(status !== undefined && isStatus(status) && { status }),
    ...(sensor !== undefined && isSensor(sensor) && { sensor }),
    ...(country !== undefined && /^[A-Z]{2}$/.test(country) && { country }),
    ...(tag !== undefined && tag.length <= 100 && { tag }),
    ...(from !== undefined && isTime(from) && { from: new Date(from).toISOString() }),
    ...(to !== undefined && isTime(to) && { to: new Date(to).toISOString() }),
  };
}

/** The URL query of a search, in a fixed order. */
export function paramsFromFilters(filters: RecordingFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of keys) {
    const value = filters[key];
    if (value !== undefined) params.set(key, value);
  }
  return params;
}

/** How many filters are set. */
export function filterCount(filters: RecordingFilters): number {
  return keys.filter((key) => filters[key] !== undefined).length;
}

/** The text fields of the filter form, as typed. */
export interface FilterDraft {
  readonly vehicle: string;
  readonly country: string;
  readonly tag: string;
  /** `datetime-local` values: local time without a zone. */
  readonly from: string;
  readonly to: string;
}

/** What is wrong with a draft, by field; empty when it can be searched. */
export function draftProblems(draft: FilterDraft): Partial<Record<keyof FilterDraft, string>> {
  const problems: Partial<Record<keyof FilterDraft, string>> = {};
  const country = draft.country.trim();
  if (country !== '' && !/^[A-Za-z]{2}$/.test(country))
    problems.country = 'Two letters (ISO 3166-1), e.g. DE.';
  if (draft.vehicle.trim().length > 100) problems.vehicle = 'Use at most 100 characters.';
  if (draft.tag.trim().length > 100) problems.tag = 'Use at most 100 characters.';
  if (draft.from !== '' && !isTime(draft.from)) problems.from = 'Enter a date and time.';
  if (draft.to !== '' && !isTime(draft.to)) problems.to = 'Enter a date and time.';
  if (
    problems.from === undefined &&
    problems.to === undefined &&
    draft.from !== '' &&
    draft.to !== '' &&
    Date.parse(draft.from) > Date.parse(draft.to)
  )
    problems.to = 'The end is before the start.';
  return problems;
}

/** A `datetime-local` value (local time to the minute) for an ISO time. */
export function toLocalInput(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The draft a search shows in the form. */
export function draftOf(filters: RecordingFilters): FilterDraft {
  return {
    vehicle: filters.vehicle ?? '',
    country: filters.country ?? '',
    tag: filters.tag ?? '',
    from: toLocalInput(filters.from),
    to: toLocalInput(filters.to),
  };
}

/**
 * The search after the form's text fields were applied: empty fields drop their filter, local
 * times become ISO times. Call only with a draft that has no problems.
 */
export function applyDraft(filters: RecordingFilters, draft: FilterDraft): RecordingFilters {
  const next: Record<string, string> = {};
  for (const key of keys) {
    const value = filters[key];
    if (value !== undefined) next[key] = value;
  }
  const set = (key: keyof FilterDraft, value: string | undefined) => {
    if (value === undefined || value === '') delete next[key];
    else next[key] = value;
  };
  set('vehicle', draft.vehicle.trim());
  set('country', draft.country.trim().toUpperCase());
  set('tag', draft.tag.trim());
  set('from', draft.from === '' ? undefined : new Date(draft.from).toISOString());
  set('to', draft.to === '' ? undefined : new Date(draft.to).toISOString());
  return filtersFromParams(new URLSearchParams(next));
}
