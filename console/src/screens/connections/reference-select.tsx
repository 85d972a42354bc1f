import { useId, useState } from 'react';
import { useQuery } from 'urql';
import { ReferenceChoicesDocument, type ReferenceType } from '../../gql/graphql';

/** How many choices one look-up brings; larger lists get a search box. */
const CHOICES = 500;

export interface ReferenceSelectProps {
  connectionId: string;
  label: string;
  type: ReferenceType;
  /** QuickBooks AccountType (accounts) or Type (items) the setting accepts; all when absent. */
  kinds?: string[];
  value: string;
  onChange: (quickbooksId: string) => void;
  error?: string;
}

/** A setting that names a QuickBooks list object, chosen from the mirrored reference data. */
export function ReferenceSelect({
  connectionId,
  label,
  type,
  kinds,
  value,
  onChange,
  error,
}: ReferenceSelectProps) {
  const id = useId();
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState<string | null>(null);
  const [{ data, fetching }] = useQuery({
    query: ReferenceChoicesDocument,
    variables: { id: connectionId, type, first: CHOICES, search: applied },
  });
  const page = data?.connection?.referenceData;
  /** The first look-up is in flight: nothing to choose from yet, and "None" would be a wrong answer. */
  const loading = fetching && !page;
  const choices = (page?.edges ?? [])
    .map((edge) => edge.node)
    .filter((node) => !kinds || kinds.includes(kindOf(node.data)));
  const known = value === '' || choices.some((choice) => choice.quickbooksId === value);
  const searchable = applied !== null || (page?.totalCount ?? 0) > (page?.edges.length ?? 0);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {searchable ? (
        <div className="inline-search">
          <input
            type="search"
            aria-label={`Search for ${label.toLowerCase()}`}
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                setApplied(search.trim() || null);
              }
            }}
          />
          <button type="button" onClick={() => setApplied(search.trim() || null)}>
            Find<span className="visually-hidden"> {label.toLowerCase()}</span>
          </button>
        </div>
      ) : null}
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        aria-busy={fetching || undefined}
        disabled={loading}
      >
        <option value="">{loading ? 'Loading…' : '— None —'}</option>
        {known ? null : <option value={value}>QuickBooks id {value}</option>}
        {choices.map((choice) => (
          <option key={choice.id} value={choice.quickbooksId}>
            {choice.name}
          </option>
        ))}
      </select>
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** QuickBooks' kind of a mirrored object: AccountType for accounts, Type for items. */
function kindOf(data: Record<string, unknown>): string {
  const kind = data.AccountType ?? data.Type;
  return typeof kind === 'string' ? kind : '';
}
