import { useState } from 'react';
import { Button, type ButtonProps } from './Button.js';

/**
 * A button for an action that cannot be undone: the first click asks, the second acts, and
 * leaving the button cancels.
 */
export function ConfirmButton({
  onConfirm,
  confirmLabel = 'Confirm',
  children,
  ...rest
}: Omit<ButtonProps, 'onClick'> & {
  readonly onConfirm: () => void;
  readonly confirmLabel?: string;
}) {
  const [asking, setAsking] = useState(false);
  return (
    <Button
      {...rest}
      variant={asking ? 'danger' : (rest.variant ?? 'secondary')}
      onClick={() => {
        if (asking) {
          setAsking(false);
          onConfirm();
        } else {
          setAsking(true);
        }
      }}
      onBlur={() => setAsking(false)}
    >
      {asking ? confirmLabel : children}
    </Button>
  );
}
