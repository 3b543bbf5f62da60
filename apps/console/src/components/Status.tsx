import { Alert, Center, Loader } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiError } from '../api.js';
import type { Loaded } from '../use-api.js';

/** A failed call, said the way the service said it (its reason code included). */
export function ErrorNotice({ error }: { error: Error }) {
  const reason = error instanceof ApiError && error.reason ? ` (${error.reason})` : '';
  const title = error instanceof ApiError && error.status === 403 ? 'Not allowed' : 'Something went wrong';
  return (
    <Alert color="red" title={title} role="alert">
      {error.message}
      {reason}
    </Alert>
  );
}

/** Renders `children` with the loaded data, or a spinner, or the error. */
export function Loading<T>({ loaded, children, label }: { loaded: Loaded<T>; children: (data: T) => ReactNode; label: string }) {
  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (loaded.data === undefined)
    return (
      <Center p="lg">
        <Loader aria-label={`Loading ${label}`} />
      </Center>
    );
  return <>{children(loaded.data)}</>;
}
