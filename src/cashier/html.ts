/**
 * A tiny HTML templating kit for the server-rendered cashier pages: a tagged template that
 * escapes every interpolated value unless it is already `SafeHtml`. Merchant names, order
 * titles, out_order_ids and URLs all come from outside and pass through here.
 *
 * The tag is called `markup`, not `html`, on purpose: Prettier reformats templates tagged `html`
 * (indentation, self-closing tags), which would change the bytes every buyer downloads.
 */

/** Markup that has already been escaped or is written by us. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string);
}

/** Trusted markup (our own constants); never pass outside data here. */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * `markup\`<p>${name}</p>\`` → SafeHtml with `name` escaped. Arrays are joined, `null`,
 * `undefined` and `false` render as nothing (so `${cond && markup\`…\`}` works).
 */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the two JavaScript
 * line terminators are written as escapes, so no value can close the element.
 */
export function jsonForScript(value: unknown): SafeHtml {
  return new SafeHtml(
    JSON.stringify(value).replace(
      /[<>&\u2028\u2029]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ),
  );
}
