import { fillPath, type ApiClient, type FileOptions } from './client.js';
import type {
  AddedRecording,
  MessageRates,
  NewUpload,
  Page,
  PageQuery,
  RecordingDetail,
  Recording,
  RecordingQuery,
  Segment,
  SyncReport,
  Upload,
  UploadPart,
} from './types.js';

/** The resumable upload of large recordings, part by part. */
export function uploadsApi(client: ApiClient) {
  return {
    start: (upload: NewUpload) => client.post<Upload>('/uploads', upload),
    /** The upload with the parts that arrived, to resume after an interruption. */
    get: (id: string, signal?: AbortSignal) =>
      client.get<Upload>(fillPath('/uploads/:id', { id }), {}, signal),
    /** Sends one part (a slice of the file); sending a part again replaces it. */
    putPart: (id: string, number: number, part: Blob, options: FileOptions = {}) =>
      client.sendFile<UploadPart>(
        'PUT',
        fillPath('/uploads/:id/parts/:number', { id, number: String(number) }),
        part,
        options,
      ),
    complete: (id: string) =>
      client.post<AddedRecording>(fillPath('/uploads/:id/complete', { id }), undefined),
    abort: (id: string) =>
      client.delete<{ id: string; aborted: boolean }>(fillPath('/uploads/:id', { id })),
  };
}

/** Drive recordings: list and search, a recording's channels, segments, rates and sync, its file. */
export function recordingsApi(client: ApiClient) {
  return {
    list: (query: RecordingQuery = {}, signal?: AbortSignal) =>
      client.get<Page<Recording>>('/recordings', { ...query }, signal),
    get: (id: string, signal?: AbortSignal) =>
      client.get<RecordingDetail>(fillPath('/recordings/:id', { id }), {}, signal),
    segments: (id: string, query: PageQuery = {}, signal?: AbortSignal) =>
      client.get<Page<Segment>>(fillPath('/recordings/:id/segments', { id }), { ...query }, signal),
    rates: (id: string, bins: number, signal?: AbortSignal) =>
      client.get<MessageRates>(fillPath('/recordings/:id/rates', { id }), { bins }, signal),
    /** The sync quality report; not found before the analysis or with fewer than two stamped sensors. */
    sync: (id: string, signal?: AbortSignal) =>
      client.get<SyncReport>(fillPath('/recordings/:id/sync', { id }), {}, signal),
    /** The recorded file as a streamed response. */
    file: (id: string, signal?: AbortSignal) =>
      client.send('GET', fillPath('/recordings/:id/file', { id }), {
        accept: 'application/octet-stream',
        signal,
      }),
    uploads: uploadsApi(client),
  };
}
