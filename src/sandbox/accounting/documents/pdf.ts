import { isObject } from '../fields';
import type { QboObject } from '../company/realm';

/**
 * `GET /invoice/{id}/pdf`: the invoice as a one-page PDF (PDF 1.4, Helvetica, no dependencies). QuickBooks renders its
 * own template; clients only need a valid document with the invoice's facts, so this prints them as text lines.
 */

const PAGE_WIDTH = 612; // US Letter, in points
const PAGE_HEIGHT = 792;
const MARGIN = 54;
const LINE_HEIGHT = 14;
/** Lines that fit between the margins at the body size; the rest is summarized so the document stays one page. */
const MAX_LINES = Math.floor((PAGE_HEIGHT - 2 * MARGIN) / LINE_HEIGHT);

const money = (value: unknown): string => (typeof value === 'number' ? value.toFixed(2) : '0.00');
const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

/** A PDF string literal: printable ASCII only (the standard fonts' encoding), with `\`, `(` and `)` escaped. */
function pdfText(value: string): string {
  const ascii = value.replace(/[^\x20-\x7e]/g, '?');
  return `(${ascii.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

function address(value: unknown): string[] {
  if (!isObject(value)) return [];
  const cityLine = [str(value.City), str(value.CountrySubDivisionCode), str(value.PostalCode)]
    .filter(Boolean)
    .join(' ');
  return [str(value.Line1), str(value.Line2), cityLine, str(value.Country)].filter(Boolean);
}

/** The text lines printed on the page, as (size, text) pairs. */
function invoiceLines(invoice: QboObject, companyName: string, title: string): Array<[number, string]> {
  const out: Array<[number, string]> = [
    [16, companyName],
    [14, `${title} ${str(invoice.DocNumber)}`],
    [10, `Date: ${str(invoice.TxnDate)}    Due: ${str(invoice.DueDate)}`],
  ];
  const customer = isObject(invoice.CustomerRef) ? str(invoice.CustomerRef.name) : '';
  const email = isObject(invoice.BillEmail) ? str(invoice.BillEmail.Address) : '';
  out.push([10, `Bill to: ${customer}${email ? ` <${email}>` : ''}`]);
  for (const line of address(invoice.BillAddr)) out.push([10, `         ${line}`]);
  out.push([10, '']);
  const body: string[] = [];
  for (const line of Array.isArray(invoice.Line) ? (invoice.Line as QboObject[]) : []) {
    if (line.DetailType === 'SalesItemLineDetail' && isObject(line.SalesItemLineDetail)) {
      const detail = line.SalesItemLineDetail;
      const item = isObject(detail.ItemRef) ? str(detail.ItemRef.name) || str(detail.ItemRef.value) : '';
      const label = str(line.Description) || item;
      body.push(
        `${label.slice(0, 60)}  ${str(detail.Qty) || '1'} x ${money(detail.UnitPrice)}  ${money(line.Amount)}`,
      );
    } else if (line.DetailType === 'DiscountLineDetail') {
      body.push(`Discount  -${money(line.Amount)}`);
    } else if (line.DetailType === 'SubTotalLineDetail') {
      body.push(`Subtotal  ${money(line.Amount)}`);
    }
  }
  const tax = isObject(invoice.TxnTaxDetail) ? invoice.TxnTaxDetail.TotalTax : undefined;
  const totals = [
    `Tax  ${money(tax)}`,
    `Total  ${money(invoice.TotalAmt)}`,
    `Balance due  ${money(invoice.Balance)}`,
  ];
  const room = MAX_LINES - out.length - totals.length - 2;
  const shown =
    body.length > room ? [...body.slice(0, room - 1), `... and ${body.length - room + 1} more lines`] : body;
  for (const line of shown) out.push([10, line]);
  out.push([10, '']);
  for (const line of totals) out.push([11, line]);
  return out;
}

/** Renders the invoice as a complete one-page PDF file. */
export function invoicePdf(invoice: QboObject, companyName: string, title = 'Invoice'): Buffer {
  let y = PAGE_HEIGHT - MARGIN;
  const ops: string[] = [];
  for (const [size, text] of invoiceLines(invoice, companyName, title)) {
    y -= size === 10 ? LINE_HEIGHT : size + 6;
    if (text) ops.push(`BT /F1 ${size} Tf ${MARGIN} ${y} Td ${pdfText(text)} Tj ET`);
  }
  const content = ops.join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    `<< /Title ${pdfText(`${title} ${str(invoice.DocNumber)}`)} /Producer (QuickBooks Online emulator) >>`,
  ];
  // Byte offsets of each object, for the cross-reference table (every character here is one byte).
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
