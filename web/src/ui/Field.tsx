import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';

interface FieldFrame {
  readonly label: string;
  readonly hint?: ReactNode;
  /** The validation message; marks the control invalid when set. */
  readonly error?: string | undefined;
  readonly grow?: boolean | undefined;
}

function Frame({
  id,
  label,
  hint,
  error,
  grow,
  children,
}: FieldFrame & { readonly id: string; readonly children: ReactNode }) {
  return (
    <div className={`field${grow === true ? ' grow' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error !== undefined ? (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      ) : (
        hint !== undefined && (
          <span className="field-hint" id={`${id}-hint`}>
            {hint}
          </span>
        )
      )}
    </div>
  );
}

function describedBy(id: string, frame: FieldFrame): string | undefined {
  if (frame.error !== undefined) return `${id}-error`;
  return frame.hint === undefined ? undefined : `${id}-hint`;
}

/** A labelled text input with its hint or validation message. */
export function TextField({
  label,
  hint,
  error,
  grow,
  ...input
}: FieldFrame & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const frame = { label, hint, error, grow };
  return (
    <Frame id={id} {...frame}>
      <input
        {...input}
        id={id}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy(id, frame)}
      />
    </Frame>
  );
}

/** A labelled select with its hint or validation message. */
export function SelectField({
  label,
  hint,
  error,
  grow,
  children,
  ...select
}: FieldFrame & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  const frame = { label, hint, error, grow };
  return (
    <Frame id={id} {...frame}>
      <select
        {...select}
        id={id}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy(id, frame)}
      >
        {children}
      </select>
    </Frame>
  );
}

/** A checkbox with its label beside it. */
export function CheckboxField({
  label,
  ...input
}: { readonly label: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="checkbox">
      <input {...input} type="checkbox" />
      {label}
    </label>
  );
}
