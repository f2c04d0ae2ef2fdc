// A server tool that acts on the person's behalf waits for them: what the tool runner says it is
// about to do, and Approve / Reject (with an optional reason the model is told).
import { useId, useState } from 'react';

import type { ToolProgress } from '../api/types';
import { Modal } from './modal';

export interface ToolApprovalDialogProps {
  progress: ToolProgress;
  onDecide(decision: 'approve' | 'reject', reason?: string): void;
}

export function ToolApprovalDialog({ progress, onDecide }: ToolApprovalDialogProps) {
  const [reason, setReason] = useState('');
  const [sent, setSent] = useState(false);
  const reasonId = useId();
  const decide = (decision: 'approve' | 'reject') => {
    setSent(true);
    onDecide(decision, reason.trim() || undefined);
  };
  return (
    <Modal title="Allow this tool to run?" onClose={() => undefined} required>
      <p>
        The assistant wants to use <strong>{progress.name}</strong>:
      </p>
      <blockquote className="tool-request">{progress.message || `Run ${progress.name}.`}</blockquote>
      <label htmlFor={reasonId}>Reason (optional, shown to the assistant)</label>
      <input id={reasonId} value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} />
      <div className="dialog-actions">
        <button type="button" className="danger" disabled={sent} onClick={() => decide('reject')}>
          Reject
        </button>
        <button type="button" className="primary" disabled={sent} onClick={() => decide('approve')} autoFocus>
          Approve
        </button>
      </div>
    </Modal>
  );
}
