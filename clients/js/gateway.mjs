// The gateway state machine of methods.md's "Gateway guide", over connectWebSocket: identify, keep the
// highest sequence number (no gaps), and after a close act as its code says: resume on a new WebSocket
// after a jittered exponential backoff, identify again when the resume is refused, or stop.
import { connectWebSocket } from './transport.mjs';
import { retryAfterSeconds } from './ratelimit.mjs';

const CLOSE_ACTIONS = {
  1000: 'identify', // only the answer to our own close; after our 1000/1001 the session has ended
  1001: 'resume',
  1011: 'identify',
  1012: 'resume',
  4004: 'stop',
  4005: 'stop',
  4007: 'stop',
  4008: 'resume',
  4009: 'identify',
  4010: 'identify', // the session lives on another server of the cluster
  4029: 'resume', // the address sent too fast: the backoff waits, the session is kept
};

/** What to do after a close with `code` (1006 = dropped without a close frame). */
export function actionFor(code) {
  return CLOSE_ACTIONS[code] ?? 'resume';
}

/** Full jitter: a random wait between 0 and min(cap, base * 2^attempt). */
export function backoffDelay(attempt, baseMs, capMs) {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/**
 * The wait before reconnecting after the close `{code, reason}`: the jittered backoff, and never less than
 * the seconds a 4029's reason asks for (`rate limited: retry after N seconds: …`), as the guide says.
 */
export function reconnectDelay({ code, reason }, attempt, baseMs, capMs) {
  const backoff = backoffDelay(attempt, baseMs, capMs);
  const asked = code === 4029 ? retryAfterSeconds(reason) : null;
  return asked ? Math.max(backoff, asked * 1000) : backoff;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A gateway session that survives drops. `onEvent(event)` gets every `{t, s, d}` once, in order;
 * `log(line)` hears what it does (READY, RESUMED, CLOSED, BACKOFF, GAP …).
 */
export class Gateway {
  constructor({ url, token, backoffBaseMs = 1000, backoffCapMs = 60000, onEvent = () => {}, log = () => {} }) {
    Object.assign(this, { url, token, backoffBaseMs, backoffCapMs, onEventHandler: onEvent, log });
    this.sessionId = null;
    this.seq = 0;
    this.attempt = 0;
    this.connection = null;
    this.listeners = [];
  }

  /** Waits for the first event named `t` that satisfies `match`, from now on. */
  waitFor(t, match = () => true) {
    return new Promise((resolve) => this.listeners.push({ t, match, resolve }));
  }

  /** The generated method wrappers over the current connection (`gateway.api.users.self()`). */
  get api() {
    return this.connection.api;
  }

  receive(notification) {
    if (notification.method !== 'gateway.event') {
      return;
    }
    const event = notification.params;
    if (event.s !== this.seq + 1 && !(event.t === 'READY' && event.s === 1)) {
      if (event.s <= this.seq) {
        return; // a replayed event we already have
      }
      this.log(`GAP expected s=${this.seq + 1} got s=${event.s}`);
      this.gap = true;
    }
    this.seq = event.s;
    if (event.t === 'READY') {
      this.sessionId = event.d.session_id;
      this.attempt = 0;
    } else if (event.t === 'RESUMED') {
      this.attempt = 0;
    }
    this.onEventHandler(event);
    this.listeners = this.listeners.filter((l) => {
      if (l.t === event.t && l.match(event)) {
        l.resolve(event);
        return false;
      }
      return true;
    });
  }

  async open(withAuth) {
    this.connection = await connectWebSocket(this.url, { token: withAuth ? this.token : undefined, onNotification: (n) => this.receive(n) });
  }

  /** Starts a new session with users.identify: READY comes before the reply. */
  async identify() {
    this.sessionId = null;
    this.seq = 0;
    const ready = this.waitFor('READY');
    await this.open(false);
    await this.connection.api.users.identify({ token: this.token });
    await ready;
  }

  /** Resumes on a new socket (the token as `auth`); false when the guide says to identify instead. */
  async resume() {
    await this.open(true);
    try {
      const result = await this.connection.api.gateway.resume({ session_id: this.sessionId, seq: this.seq });
      this.log(`RESUME ok session=${result.session_id} replayed=${result.replayed}`);
      return true;
    } catch (e) {
      if (typeof e.data !== 'string') {
        throw e;
      }
      this.log(`RESUME refused: ${e.data}`);
      if (e.data.startsWith('invalid or revoked token') || e.data.startsWith('seq is ahead')) {
        throw e; // stop: log in again; or our own bug, since we never claim more than we received
      }
      this.connection.socket.close(1000);
      return false;
    }
  }

  /** Reconnects after the close `{code, reason}`, as its code says; returns false when it must stop. */
  async reconnect(close) {
    let action = actionFor(close.code);
    this.log(`CLOSED code=${close.code} action=${action}`);
    let first = true;
    while (action !== 'stop') {
      const delay = first ? reconnectDelay(close, this.attempt++, this.backoffBaseMs, this.backoffCapMs) : backoffDelay(this.attempt++, this.backoffBaseMs, this.backoffCapMs);
      first = false;
      this.log(`BACKOFF ${Math.round(delay)} ms`);
      await sleep(delay);
      try {
        if (action === 'resume' && this.sessionId && (await this.resume())) {
          return true;
        }
        await this.identify();
        return true;
      } catch (e) {
        if (typeof e.data === 'string') {
          return false;
        }
        this.log(`RECONNECT failed: ${e.message}`);
        action = 'resume';
      }
    }
    return false;
  }

  /** Runs until a close that says stop. */
  async run() {
    await this.identify();
    for (;;) {
      if (!(await this.reconnect(await this.connection.closed))) {
        this.log('STOPPED');
        return;
      }
    }
  }
}
