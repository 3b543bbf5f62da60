import { Button, Group } from '@mantine/core';
import { useState } from 'react';

/**
 * Walking a cursor-paged listing: the cursors of the pages seen so far (null: the first page),
 * so Previous goes back without the service keeping any state.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    hasPrevious: cursors.length > 1,
    previous: () => setCursors((c) => c.slice(0, -1)),
    next: (cursor: string) => setCursors((c) => [...c, cursor]),
    restart: () => setCursors([null]),
  };
}

export function Pager({ pages, next }: { pages: ReturnType<typeof useCursorPages>; next: string | null | undefined }) {
  return (
    <Group>
      <Button variant="default" disabled={!pages.hasPrevious} onClick={pages.previous}>
        Previous
      </Button>
      <Button variant="default" disabled={!next} onClick={() => next && pages.next(next)}>
        Next
      </Button>
    </Group>
  );
}
