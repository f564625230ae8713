/**
 * A decision's confirmation: a modal dialog asking for the reason (required) and the decision
 * reference (e.g. "XVII RCM, decision 6"). Focus moves into it when it opens and back to the
 * button that opened it when it closes; Escape cancels (the native <dialog> modal's behaviour).
 */
import { useEffect, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export interface Decision {
  readonly reason: string;
  readonly decision?: string;
}

export function ConfirmDialog(props: {
  readonly title: string;
  readonly confirmLabel: string;
  /** Resolves to an error message to show in the dialog, or undefined once done. */
  readonly onConfirm: (decision: Decision) => Promise<string | undefined>;
  readonly onClose: () => void;
}): ReactNode {
  const { t } = useTranslation('admin');
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [decision, setDecision] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    const node = dialog.current;
    if (node !== null && !node.open) node.showModal();
    node?.querySelector<HTMLInputElement>('#confirm-reason')?.focus();
    return () => opener?.focus();
  }, []);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    const failure = await props.onConfirm({
      reason: reason.trim(),
      ...(decision.trim() !== '' && { decision: decision.trim() }),
    });
    setBusy(false);
    if (failure === undefined) props.onClose();
    else setProblem(failure);
  };

  return (
    <dialog
      ref={dialog}
      className="confirm"
      aria-labelledby="confirm-title"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <form onSubmit={(e) => void submit(e)}>
        <h3 id="confirm-title">{props.title}</h3>
        <div className="field">
          <label htmlFor="confirm-reason">{t('confirm.reason')}</label>
          <input id="confirm-reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="confirm-decision">{t('confirm.decision')}</label>
          <input
            id="confirm-decision"
            value={decision}
            onChange={(e) => setDecision(e.target.value)}
            placeholder={t('confirm.decisionExample')}
          />
        </div>
        {problem !== undefined && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={reason.trim() === '' || busy}>
          {props.confirmLabel}
        </button>
        <button type="button" onClick={props.onClose}>
          {t('confirm.cancel')}
        </button>
      </form>
    </dialog>
  );
}
