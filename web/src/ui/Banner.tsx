import { CircleCheck, CircleX, TriangleExclamationPoint } from 'lucide-react';
import type { ReactNode } from 'react';
import { ApiError, messageOf } from '../api/index.js';
import { Button } from './Button.js';

/** Shows a failure with the server's explanation and the request id to look it up by. */
export function ErrorBanner({
  error,
  title = 'Something went wrong',
  onRetry,
}: {
  readonly error: unknown;
  readonly title?: string;
  readonly onRetry?: () => void;
}) {
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <div className="banner error" role="alert">
      <CircleX size={18} aria-hidden />
      <div className="banner-body">
        <div className="banner-title">{title}</div>
        <div>{messageOf(error)}</div>
        {requestId !== undefined && <div className="banner-meta">Request id {requestId}</div>}
      </div>
      {onRetry !== undefined && (
        <Button size="small" onClick={onRetry}>
          Retry
        </Button>
      )}
    </div>
  );
}

/** A banner for good news or a warning. */
export function Banner({
  tone,
  children,
  onDismiss,
}: {
  readonly tone: 'success' | 'warning';
  readonly children: ReactNode;
  readonly onDismiss?: () => void;
}) {
  const Icon = tone === 'success' ? CircleCheck : TriangleExclamationPoint;
  return (
    <div className={`banner ${tone}`} role="status">
      <Icon size={18} aria-hidden />
      <div className="banner-body">{children}</div>
      {onDismiss !== undefined && (
        <Button size="small" onClick={onDismiss}>
          Dismiss
        </Button>
      )}
    </div>
  );
}
