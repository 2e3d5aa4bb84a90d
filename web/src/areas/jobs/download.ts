import type { Api, JobDetail } from '../../api/index.js';

type Artifact = JobDetail['artifacts'][number];

/**
 * Saves one artifact of a job. The download needs the session's token, so a plain link cannot
 * fetch it: the browser collects the file as a Blob (kept on disk when large) and saves it under
 * the artifact's file name.
 */
export async function downloadArtifact(api: Api, jobId: string, artifact: Artifact): Promise<void> {
  const response = await api.jobs.artifact(jobId, artifact.attempt, artifact.path);
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = artifact.path.split('/').pop() ?? 'artifact';
    link.click();
  } finally {
    // Not at once: the browser reads the Blob for its download after the click returns.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
