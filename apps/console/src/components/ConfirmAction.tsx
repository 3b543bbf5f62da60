import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { ErrorNotice } from './Status.js';

/**
 * A destructive action behind a dialog that says what will happen before anything does.
 * The dialog stays open on failure so the admin reads why.
 */
export function ConfirmAction({
  label,
  title,
  consequence,
  confirmLabel,
  onConfirm,
  color = 'red',
  disabled,
}: {
  label: string;
  title: string;
  consequence: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  color?: string;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setOpen(false);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button color={color} variant="light" size="xs" onClick={() => setOpen(true)} disabled={disabled}>
        {label}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title} centered>
        <Stack>
          <Text>{consequence}</Text>
          {error ? <ErrorNotice error={error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button color={color} loading={busy} onClick={() => void confirm()}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
