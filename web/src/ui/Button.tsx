import type { ButtonHTMLAttributes, ReactNode } from 'react';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  readonly variant?: 'primary' | 'secondary' | 'danger';
  readonly size?: 'normal' | 'small';
  /** Shows the action is under way and blocks a second click. */
  readonly busy?: boolean;
  readonly icon?: ReactNode;
}

/** The one button of the UI. */
export function Button({
  variant = 'secondary',
  size = 'normal',
  busy = false,
  icon,
  children,
  className,
  disabled,
  type = 'button',
  ...rest
}: ButtonProps) {
  const classes = ['button', variant, size === 'small' ? 'small' : '', className ?? '']
    .filter((c) => c !== '' && c !== 'secondary')
    .join(' ');
  return (
    <button
      {...rest}
      type={type}
      className={classes}
      disabled={disabled === true || busy}
      aria-busy={busy || undefined}
    >
      {icon}
      {children}
    </button>
  );
}
