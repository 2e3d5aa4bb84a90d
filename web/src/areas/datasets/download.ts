import type { Api } from '../../api/index.js';

/**
 * Saves a file of a dataset version. The API needs the session's token, which a plain link
 * cannot send, so the file is fetched and handed to the browser as a Blob to save.
 */
export async function downloadDatasetFile(api: Api, path: string, fileName: string): Promise<void> {
  const response = await api.datasets.file(path);
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.click();
  } finally {
    // Not at once: the browser reads the Blob for its download after the click returns.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
