// A failure as a person reads it: a title and what to do, never the raw response.
import { describeFailure } from '../api/api-failure';
import { CloseIcon } from './icons';

export interface ErrorNoticeProps {
  error: unknown;
  onDismiss?(): void;
}

export function ErrorNotice({ error, onDismiss }: ErrorNoticeProps) {
  const { title, detail } = describeFailure(error);
  return (
    <div className="notice notice-error" role="alert">
      <div>
        <strong>{title}.</strong> {detail}
      </div>
      {onDismiss && (
        <button type="button" className="icon-button" onClick={onDismiss}>
          <CloseIcon />
          <span className="visually-hidden">Dismiss</span>
        </button>
      )}
    </div>
  );
}
