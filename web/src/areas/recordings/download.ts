import type { Api, Recording } from '../../api/index.js';

/** The File System Access API's save dialog (Chromium-based browsers, secure contexts). */
interface SaveDialog {
  showSaveFilePicker?: (options: {
    suggestedName: string;
  }) => Promise<{ createWritable(): Promise<WritableStream<Uint8Array>> }>;
}

/**
 * Downloads a recording's file. The download needs the session's token, so a plain link cannot
 * do it: where the browser has a save dialog the file streams from the server to the chosen file
 * (any size, with progress); elsewhere the browser collects it as a Blob, which it keeps on disk
 * when large, and saves it once complete. Resolves false when the user cancelled the dialog.
 */
export async function downloadRecording(
  api: Api,
  recording: Recording,
  onProgress: (received: number) => void,
): Promise<boolean> {
  const dialog = (window as Window & SaveDialog).showSaveFilePicker;
  if (dialog !== undefined) {
    let handle;
    try {
      handle = await dialog({ suggestedName: recording.name });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return false;
      throw error;
    }
    const writable = await handle.createWritable();
    const response = await api.recordings.file(recording.id);
    if (response.body === null) throw new Error(`the server sent no file for ${recording.name}`);
    let received = 0;
    await response.body
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            received += chunk.byteLength;
            onProgress(received);
            controller.enqueue(chunk);
          },
        }),
      )
      .pipeTo(writable);
    return true;
  }
  const response = await api.recordings.file(recording.id);
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = recording.name;
    link.click();
  } finally {
    // Not at once: the browser reads the Blob for its download after the click returns.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return true;
}
