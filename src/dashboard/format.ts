/** Number, time and HTML formatting shared by the views. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** A vital or duration value: "3,250 ms", or "0.050" for a unitless one (CLS). */
export function value(v: number | null | undefined, unit = 'ms'): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (unit === '') return v.toFixed(3);
  return `${v < 10 ? decimal.format(v) : integer.format(v)} ${unit}`;
}

export function count(n: number): string {
  return integer.format(n);
}

export function rate(n: number): string {
  return decimal.format(n);
}

/** Local date and time, to the second: "2026-03-15 12:00:00". */
export function time(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Escapes text for use in innerHTML templates: every stored string came from a browser. */
export function esc(value: unknown): string {
  const text =
    typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A text field of a submitted form ('' when absent). */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

/** Every value of a repeated field (checkboxes). */
export function fields(form: FormData, name: string): string[] {
  return form.getAll(name).filter((v) => typeof v === 'string');
}
