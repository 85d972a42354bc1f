import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useMutation } from 'urql';
import { Problems } from '../../components/problems';
import {
  UpdateSettingsDocument,
  type ConnectionSettingsInput,
  type ReferenceType,
  type SettingsFieldsFragment,
} from '../../gql/graphql';
import { problemsOf } from '../../lib/errors';
import { useCan } from '../../lib/viewer';
import { ReferenceSelect } from './reference-select';

type Key = keyof SettingsFieldsFragment;
type Values = Record<Key, string | boolean>;

interface ReferenceField {
  key: Key;
  label: string;
  type: ReferenceType;
  kinds?: string[];
}

const PRODUCT_KINDS = ['Service', 'NonInventory', 'Inventory', 'Other Charge'];

/** The settings that name QuickBooks objects, grouped as the tools people know group them; kinds as the server checks. */
const REFERENCE_GROUPS: Array<{ title: string; fields: ReferenceField[] }> = [
  {
    title: 'Accounts',
    fields: [
      { key: 'incomeAccountId', label: 'Income account', type: 'ACCOUNT', kinds: ['Income'] },
      {
        key: 'depositAccountId',
        label: 'Deposit account',
        type: 'ACCOUNT',
        kinds: ['Bank', 'Other Current Asset'],
      },
      {
        key: 'discountAccountId',
        label: 'Discount account',
        type: 'ACCOUNT',
        kinds: ['Income', 'Other Income', 'Expense', 'Other Expense'],
      },
      {
        key: 'inventoryAssetAccountId',
        label: 'Inventory asset account',
        type: 'ACCOUNT',
        kinds: ['Other Current Asset'],
      },
      {
        key: 'costOfGoodsSoldAccountId',
        label: 'Cost of goods sold account',
        type: 'ACCOUNT',
        kinds: ['Cost of Goods Sold'],
      },
    ],
  },
  {
    title: 'Items for order charges',
    fields: [
      { key: 'freightItemId', label: 'Freight item', type: 'ITEM', kinds: PRODUCT_KINDS },
      { key: 'handlingItemId', label: 'Handling item', type: 'ITEM', kinds: PRODUCT_KINDS },
      { key: 'packagingItemId', label: 'Packaging item', type: 'ITEM', kinds: PRODUCT_KINDS },
    ],
  },
  {
    title: 'Defaults',
    fields: [
      { key: 'defaultTermId', label: 'Terms', type: 'TERM' },
      { key: 'defaultPaymentMethodId', label: 'Payment method', type: 'PAYMENT_METHOD' },
      { key: 'defaultTaxCodeId', label: 'Tax code', type: 'TAX_CODE' },
      { key: 'defaultClassId', label: 'Class', type: 'CLASS' },
      { key: 'defaultLocationId', label: 'Location', type: 'LOCATION' },
    ],
  },
];

const CHOICES: Partial<Record<Key, Array<[string, string]>>> = {
  postOrdersAs: [
    ['SALES_RECEIPT', 'Sales receipts'],
    ['INVOICE', 'Invoices'],
  ],
  undoMode: [
    ['DELETE', 'Delete the transaction'],
    ['VOID', 'Void the transaction'],
  ],
  newItemKind: [
    ['NON_INVENTORY', 'Non-inventory'],
    ['SERVICE', 'Service'],
    ['INVENTORY', 'Inventory'],
  ],
};

const toValues = (settings: SettingsFieldsFragment): Values =>
  Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [key, typeof value === 'boolean' ? value : (value ?? '')]),
  ) as Values;

/** WindingFlow's settings page and Werx's defaults: switches, posting choices and the objects orders post to. */
export function SettingsForm({
  connectionId,
  settings,
}: {
  connectionId: string;
  settings: SettingsFieldsFragment;
}) {
  const admin = useCan('ADMIN');
  const [saved, setSaved] = useState(() => toValues(settings));
  const [values, setValues] = useState(saved);
  const [state, update] = useMutation(UpdateSettingsDocument);
  const [message, setMessage] = useState('');
  const problems = problemsOf(state.error);
  const fieldError = (key: Key) => problems.find((p) => p.field === `input.${key}`)?.message;
  const set = (key: Key) => (value: string | boolean) => {
    setMessage('');
    setValues((now) => ({ ...now, [key]: value }));
  };
  const changed = (Object.keys(values) as Key[]).filter((key) => values[key] !== saved[key]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = Object.fromEntries(
      changed.map((key) => [key, values[key] === '' ? null : values[key]]),
    ) as ConnectionSettingsInput;
    const result = await update({ id: connectionId, input });
    const next = result.data?.updateConnectionSettings.settings;
    if (next) {
      const fresh = toValues(next);
      setSaved(fresh);
      setValues(fresh);
      setMessage('Settings saved.');
    }
  };

  const text = (key: Key, label: string, props: Record<string, string> = {}) => (
    <TextField
      label={label}
      value={String(values[key])}
      onChange={set(key)}
      error={fieldError(key)}
      {...props}
    />
  );

  return (
    <form className="settings" onSubmit={(event) => void submit(event)} aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <fieldset disabled={!admin}>
        <legend>Integration</legend>
        <Toggle
          label="Enable integrations"
          hint="Off: nothing is sent to QuickBooks."
          checked={values.enabled === true}
          onChange={set('enabled')}
        />
        <Toggle
          label="Auto invoice"
          hint="Push invoices as soon as they are created."
          checked={values.autoInvoice === true}
          onChange={set('autoInvoice')}
        />
        <Toggle
          label="Approve changes from QuickBooks first"
          hint="Reference changes wait in the sync wizard."
          checked={values.requireApproval === true}
          onChange={set('requireApproval')}
        />
      </fieldset>
      <fieldset disabled={!admin}>
        <legend>Posting</legend>
        {(['postOrdersAs', 'undoMode'] as const).map((key) => (
          <ChoiceField
            key={key}
            label={key === 'postOrdersAs' ? 'Post orders as' : 'Undo sync'}
            options={CHOICES[key]!}
            value={String(values[key])}
            onChange={set(key)}
          />
        ))}
        {text('defaultCustomerName', 'Customer for orders without one')}
      </fieldset>
      {REFERENCE_GROUPS.map((group) => (
        <fieldset key={group.title} disabled={!admin}>
          <legend>{group.title}</legend>
          {group.fields.map((field) => (
            <ReferenceSelect
              key={field.key}
              connectionId={connectionId}
              label={field.label}
              type={field.type}
              kinds={field.kinds}
              value={String(values[field.key])}
              onChange={set(field.key)}
              error={fieldError(field.key)}
            />
          ))}
        </fieldset>
      ))}
      <fieldset disabled={!admin}>
        <legend>New products</legend>
        <ChoiceField
          label="Create new products as"
          options={CHOICES.newItemKind!}
          value={String(values.newItemKind)}
          onChange={set('newItemKind')}
        />
        {text('defaultInventoryQuantity', 'Default inventory quantity', { inputMode: 'decimal' })}
        {text('defaultInventoryStartDate', 'Default inventory start date', { type: 'date' })}
      </fieldset>
      <Problems problems={problems.filter((p) => !p.field)} />
      {problems.some((p) => p.field) ? (
        <p className="notice notice-error" role="alert">
          Some settings were not accepted; see the messages next to them.
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={!admin || state.fetching || changed.length === 0}>
          Save settings
        </button>
        <span role="status">{message}</span>
      </div>
    </form>
  );
}

function Toggle({
  label,
  hint,
  checked,
  onChange,
}: {
  label: string;
  hint: string;
  checked: boolean;
  onChange: (value: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="field field-toggle">
      <input
        id={id}
        type="checkbox"
        role="switch"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        aria-describedby={`${id}-hint`}
      />
      <label htmlFor={id}>{label}</label>
      <span className="field-hint" id={`${id}-hint`}>
        {hint}
      </span>
    </div>
  );
}

function ChoiceField({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: Array<[string, string]>;
  value: string;
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {options.map(([option, text]) => (
          <option key={option} value={option}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function TextField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  type?: string;
  inputMode?: string;
}): ReactNode {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? 'text'}
        inputMode={props.inputMode as 'decimal' | undefined}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
      />
      {props.error ? (
        <p className="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}
