// A modal dialog on the native <dialog> element: focus moves in and back, Escape closes it, and the
// rest of the page is inert while it is open.
import { useEffect, useId, useRef, type ReactNode } from 'react';

import { CloseIcon } from './icons';

export interface ModalProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** Escape and the close button are disabled (a decision is required). */
  required?: boolean;
  wide?: boolean;
}

export function Modal({ title, onClose, children, required, wide }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'modal modal-wide' : 'modal'}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!required) onClose();
      }}
    >
      <div className="modal-head">
        <h2 id={titleId}>{title}</h2>
        {!required && (
          <button type="button" className="icon-button" onClick={onClose}>
            <CloseIcon />
            <span className="visually-hidden">Close</span>
          </button>
        )}
      </div>
      <div className="modal-body">{children}</div>
    </dialog>
  );
}
