import { Check, Copy } from 'lucide-react';
import { useState } from 'react';
import { Button } from './Button.js';

/** Copies a value to the clipboard and says so. */
export function CopyButton({
  value,
  label = 'Copy',
}: {
  readonly value: string;
  readonly label?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      // Clipboard access needs a secure context (https or localhost); the value stays selectable.
      setState('failed');
    }
  };
  return (
    <Button
      size="small"
      icon={state === 'copied' ? <Check size={14} /> : <Copy size={14} />}
      onClick={() => void copy()}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy by hand' : label}
    </Button>
  );
}
