import { useCallback, useState } from 'react';

/** The rows a person has checked on the current page of a list (orders, invoices). */
export interface Selection {
  readonly ids: readonly string[];
  readonly size: number;
  readonly has: (id: string) => boolean;
  readonly toggle: (id: string) => void;
  /** Checks every row of the page, or clears them all when they already are. */
  readonly toggleAll: () => void;
  readonly allSelected: boolean;
  readonly clear: () => void;
}

export function useSelection(pageIds: readonly string[]): Selection {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const allSelected = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const clear = useCallback(() => setSelected(new Set()), []);
  return {
    ids: [...selected],
    size: selected.size,
    has: (id) => selected.has(id),
    toggle: (id) =>
      setSelected((now) => {
        const next = new Set(now);
        if (!next.delete(id)) next.add(id);
        return next;
      }),
    toggleAll: () => setSelected(allSelected ? new Set() : new Set(pageIds)),
    allSelected,
    clear,
  };
}

/** The header cell that checks the whole page; `noun` names a row ("order", "invoice"). */
export function SelectAllCell({ selection, noun }: { selection: Selection; noun: string }) {
  return (
    <th scope="col" className="select">
      <input
        type="checkbox"
        aria-label={`Select every ${noun} on this page`}
        checked={selection.allSelected}
        onChange={selection.toggleAll}
      />
    </th>
  );
}

/** The cell that checks one row; `label` names it for screen readers ("order 1001"). */
export function SelectCell({ selection, id, label }: { selection: Selection; id: string; label: string }) {
  return (
    <td className="select">
      <input
        type="checkbox"
        aria-label={`Select ${label}`}
        checked={selection.has(id)}
        onChange={() => selection.toggle(id)}
      />
    </td>
  );
}
