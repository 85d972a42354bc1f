import { Column, CreateDateColumn, PrimaryColumn, UpdateDateColumn, type ColumnOptions } from 'typeorm';

/**
 * Column shapes shared by every entity, chosen to mean the same on MySQL/MariaDB and SQLite: ids are short
 * strings, times are DATETIME(6) in UTC, money is DECIMAL(18,2) read back as a string (never a float).
 */
export const IdColumn = (): PropertyDecorator => PrimaryColumn({ type: 'varchar', length: 40 });
export const RefColumn = (options: ColumnOptions = {}): PropertyDecorator =>
  Column({ type: 'varchar', length: 40, ...options });
export const TimeColumn = (options: ColumnOptions = {}): PropertyDecorator =>
  Column({ type: 'datetime', precision: 6, ...options });
export const CreatedAtColumn = (): PropertyDecorator => CreateDateColumn({ type: 'datetime', precision: 6 });
export const UpdatedAtColumn = (): PropertyDecorator => UpdateDateColumn({ type: 'datetime', precision: 6 });
export const MoneyColumn = (options: ColumnOptions = {}): PropertyDecorator =>
  Column({ type: 'decimal', precision: 18, scale: 2, transformer: moneyTransformer, ...options });
/** JSON kept as text: portable, and we never query inside it. */
export const JsonColumn = (options: ColumnOptions = {}): PropertyDecorator =>
  Column({ type: 'text', transformer: jsonTransformer, ...options });

/** MySQL returns DECIMAL as a string already; SQLite returns a number, which we format back to cents. */
const moneyTransformer = {
  to: (value: string | null | undefined): string | null | undefined => value,
  from: (value: string | number | null): string | null =>
    value === null ? null : typeof value === 'number' ? value.toFixed(2) : value,
};

const jsonTransformer = {
  to: (value: unknown): string | null =>
    value === undefined || value === null ? null : JSON.stringify(value),
  from: (value: string | null): unknown => (value === null ? null : JSON.parse(value)),
};
