/**
 * Sessions: a visit with a start, an end and a duration. A session lives in sessionStorage, so it
 * survives reloads of its tab, and ends after `timeoutMs` without an event (GA-style inactivity).
 *
 * - `session_start` is recorded before the first event of a session.
 * - `session_end` with `reason: 'timeout'` when the page stayed hidden for `timeoutMs`, or when an
 *   event arrives after `timeoutMs` without one (then the next event starts a new session).
 * - `session_end` with `reason: 'close'` at every `pagehide`: a page cannot tell a closing tab from a
 *   reload, so a session spanning reloads reports one per page; its duration and page views are
 *   running totals, and the last one is the session's end.
 */

/** sessionStorage key of the session state (JSON). Earlier builds stored the bare id there. */
export const SESSION_KEY = 'pwa-telemetry:session';

export interface SessionState {
  id: string;
  /** Epoch ms of its first event. */
  start: number;
  /** Epoch ms of its latest event. */
  last: number;
  /** `page_view` events so far. */
  views: number;
  /** session_start has been recorded. */
  started?: boolean;
  /** session_end for a timeout has been recorded: the next event starts a new session. */
  ended?: boolean;
}

export type SessionEndReason = 'timeout' | 'close';

export interface SessionEvents {
  onStart(session: SessionState): void;
  onEnd(session: SessionState, reason: SessionEndReason): void;
}

function read(): SessionState | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    if (raw[0] !== '{') return { id: raw, start: NaN, last: NaN, views: 0, started: true };
    const s = JSON.parse(raw) as SessionState;
    return typeof s.id === 'string' && s.id ? s : null;
  } catch {
    return null;
  }
}

/** The tab's session tracker; `events` record session_start / session_end. */
export function createSessions(newId: () => string, timeoutMs: number, events: SessionEvents) {
  let s: SessionState | null = null;
  const save = (): void => {
    try {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    } catch {
      // No sessionStorage: the session lives as long as this page.
    }
  };
  const begin = (t: number): SessionState => {
    s = { id: newId(), start: t, last: t, views: 0 };
    save();
    return s;
  };
  const expired = (x: SessionState, t: number): boolean => !!x.ended || t - x.last > timeoutMs;

  /** Ends the session at `at` (a close: the page was open until then; a timeout: its last event). */
  function end(reason: SessionEndReason, at = 0): void {
    if (!s?.started || s.ended) return;
    if (at > s.last) s.last = at;
    events.onEnd(s, reason);
    // A close may be a reload: the session goes on if the next page comes within the timeout.
    if (reason === 'timeout') s.ended = true;
    save();
  }

  return {
    /** The stored session if it is still live at `t`, else a new one (nothing recorded yet). */
    load(t: number): string {
      const stored = read();
      if (stored && !expired(stored, t)) s = stored;
      else begin(t);
      // Legacy state (a bare id) has no times: it goes on from now.
      if (Number.isNaN(s!.start)) s!.start = s!.last = t;
      return s!.id;
    },
    /** An event at `t`: ends an idle session and starts the next first. Returns the session id. */
    touch(t: number, view: boolean): string {
      if (!s) return '';
      if (expired(s, t)) {
        end('timeout');
        begin(t);
      }
      if (!s.started) {
        s.started = true;
        save();
        events.onStart(s);
      }
      if (t > s.last) s.last = t;
      if (view) s.views++;
      return s.id;
    },
    end,
    save,
    id: (): string => s?.id ?? '',
  };
}

export type Sessions = ReturnType<typeof createSessions>;
