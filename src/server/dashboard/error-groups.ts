/** How errors are grouped: by exception type, message and the top frame of the stack. */

export interface ErrorKey {
  type: string;
  message: string;
  frame: string;
}

/** Frame lines of V8 (`    at fn (url:1:2)`) and of Firefox/Safari (`fn@url:1:2`). */
const V8_FRAME = /^\s*at\s+(.+)$/;
const GECKO_FRAME = /^(.*@.+:\d+:\d+)$/;

/** The first frame of a stack trace, trimmed; '' when there is none. */
export function topFrame(stack: unknown): string {
  if (typeof stack !== 'string') return '';
  for (const line of stack.split('\n', 12)) {
    const frame = V8_FRAME.exec(line)?.[1] ?? GECKO_FRAME.exec(line.trim())?.[1];
    if (frame !== undefined) return frame.trim().slice(0, 300);
  }
  return '';
}

/**
 * The group of a stored log line, or undefined when it is not an error: a log with an `exception`,
 * or any log at level `error` (console errors, logger errors) grouped under its message.
 */
export function errorKey(item: Record<string, unknown>): ErrorKey | undefined {
  const exception = item.exception;
  if (typeof exception === 'object' && exception !== null) {
    const { type, message, stack } = exception as Record<string, unknown>;
    return {
      type: typeof type === 'string' ? type : 'Error',
      message: typeof message === 'string' ? message : typeof item.message === 'string' ? item.message : '',
      frame: topFrame(stack),
    };
  }
  if (item.level === 'error')
    return { type: '(error log)', message: typeof item.message === 'string' ? item.message : '', frame: '' };
  return undefined;
}

/** One string per group; the separator cannot occur in a JSON-decoded key part by accident often enough to matter. */
export function groupId(key: ErrorKey): string {
  return `${key.type}\u0000${key.message}\u0000${key.frame}`;
}
