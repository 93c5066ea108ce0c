#!/usr/bin/env node
// A small gateway bot that follows methods.md's "Gateway guide":
// - it starts its gateway session with `Authorization: Bearer` on the upgrade (READY is the first frame);
// - it keeps the highest sequence number `s` and checks that no number is skipped;
// - after a drop it reconnects with jittered exponential backoff and calls gateway.resume on a new
//   WebSocket opened without the bearer header (a bearer upgrade would start a new session);
// - each close code leads to resume, identify or stop, as the guide's "Close codes" table says;
// - a close with 1000 ends its session for good.
//
//   node bot.js --url ws://127.0.0.1:8080/rpc --token TOKEN                 run until stopped, logging events
//   node bot.js --url ws://127.0.0.1:8080/rpc --register --simulate-drop    the check ./run.sh test runs:
//       register a user, start, drop the connection without a close frame, change presence over HTTP
//       while away, resume, see the missed event replayed, close with 1000 and see the resume refused.
'use strict';

const WebSocket = require('ws');

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
};

/** What to do after a close with `code` (1006 = dropped without a close frame). */
function actionFor(code) {
  return CLOSE_ACTIONS[code] ?? 'resume';
}

/** Full jitter: a random wait between 0 and min(cap, base * 2^attempt). */
function backoffDelay(attempt, baseMs, capMs) {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

const RATE_LIMIT_PREFIX = 'rate limited: retry after ';

/** The seconds a rate-limit error asks to wait, or null. */
function retryAfterSeconds(data) {
  if (typeof data !== 'string' || !data.startsWith(RATE_LIMIT_PREFIX)) {
    return null;
  }
  return parseInt(data.slice(RATE_LIMIT_PREFIX.length), 10);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class RpcError extends Error {
  constructor(error) {
    super(`${error.message}: ${error.data}`);
    this.code = error.code;
    this.data = error.data;
  }
}

/** One JSON-RPC call over HTTP (POST /rpc); waits and retries when rate-limited. */
async function httpCall(httpUrl, method, params, token) {
  for (;;) {
    const headers = { 'Content-Type': 'application/json' };
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    const response = await fetch(httpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }) });
    const reply = await response.json();
    if (!reply.error) {
      return reply.result;
    }
    const wait = Number(response.headers.get('retry-after')) || retryAfterSeconds(reply.error.data);
    if (!wait) {
      throw new RpcError(reply.error);
    }
    log(`RATE_LIMITED waiting ${wait} s`);
    await sleep(wait * 1000);
  }
}

function log(line) {
  process.stdout.write(`${line}\n`);
}

/** One WebSocket: calls with replies matched by id, events handed to the gateway. */
class Connection {
  constructor(url, headers, onEvent) {
    this.socket = new WebSocket(url, { headers });
    this.pending = new Map();
    this.nextId = 1;
    this.onEvent = onEvent;
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', resolve);
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => {
        for (const { reject } of this.pending.values()) {
          reject(new Error(`connection closed (${code})`));
        }
        this.pending.clear();
        resolve({ code, reason: reason.toString() });
      });
    });
    this.socket.on('error', () => {}); // 'close' follows every error
    this.socket.on('message', (data) => this.receive(JSON.parse(data.toString())));
  }

  receive(message) {
    if (message.method === 'gateway.event') {
      this.onEvent(message.params);
      return;
    }
    const call = this.pending.get(message.id);
    if (call) {
      this.pending.delete(message.id);
      if (message.error) {
        call.reject(new RpcError(message.error));
      } else {
        call.resolve(message.result);
      }
    }
  }

  call(method, params, auth) {
    const id = this.nextId++;
    const request = { jsonrpc: '2.0', method, params, id };
    if (auth) {
      request.auth = auth;
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify(request));
    });
  }
}

/**
 * The gateway state machine of the guide: CONNECTING → IDENTIFYING or RESUMING → CONNECTED, and after
 * a close, by its code: back to RESUMING or IDENTIFYING after a jittered backoff, or STOPPED.
 */
class GatewayBot {
  constructor({ url, token, backoffBaseMs = 1000, backoffCapMs = 60000 }) {
    this.url = url;
    this.token = token;
    this.backoffBaseMs = backoffBaseMs;
    this.backoffCapMs = backoffCapMs;
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

  onEvent(event) {
    if (event.s !== this.seq + 1 && !(event.t === 'READY' && event.s === 1)) {
      if (event.s <= this.seq) {
        return; // a replayed event we already have
      }
      log(`GAP expected s=${this.seq + 1} got s=${event.s}`);
      process.exitCode = 1;
    }
    this.seq = event.s;
    if (event.t === 'READY') {
      this.sessionId = event.d.session_id;
      this.attempt = 0;
      log(`READY session=${event.d.session_id} s=${event.s} user=${event.d.user.id} guilds=${event.d.guilds.length} presences=${event.d.presences.length}`);
    } else if (event.t === 'RESUMED') {
      this.attempt = 0;
      log(`RESUMED s=${event.s} replayed=${event.d.replayed}`);
    } else if (event.t === 'PRESENCE_UPDATE') {
      log(`EVENT PRESENCE_UPDATE s=${event.s} user=${event.d.user_id} status=${event.d.status}`);
    } else {
      log(`EVENT ${event.t} s=${event.s}`);
    }
    this.listeners = this.listeners.filter((l) => {
      if (l.t === event.t && l.match(event)) {
        l.resolve(event);
        return false;
      }
      return true;
    });
  }

  /** Identify on upgrade: the bearer header starts the session, READY is the first frame. */
  async identify() {
    this.sessionId = null;
    this.seq = 0;
    const ready = this.waitFor('READY');
    this.connection = new Connection(this.url, { Authorization: `Bearer ${this.token}` }, (e) => this.onEvent(e));
    await this.connection.opened;
    await ready;
  }

  /** Resume on a new socket without the bearer header; false when the guide says to identify instead. */
  async resume() {
    this.connection = new Connection(this.url, {}, (e) => this.onEvent(e));
    await this.connection.opened;
    try {
      const result = await this.connection.call('gateway.resume', { session_id: this.sessionId, seq: this.seq }, this.token);
      log(`RESUME ok session=${result.session_id} replayed=${result.replayed}`);
      return true;
    } catch (e) {
      if (!(e instanceof RpcError)) {
        throw e;
      }
      log(`RESUME refused: ${e.data}`);
      if (e.data.startsWith('invalid or revoked token')) {
        throw e; // stop: log in again
      }
      if (e.data.startsWith('seq is ahead')) {
        throw e; // our own bug: we never claim more than we received
      }
      this.connection.socket.close(1000);
      return false;
    }
  }

  /** Reconnects after a close, as the close code says; returns false when the bot must stop. */
  async reconnect(code) {
    let action = actionFor(code);
    log(`CLOSED code=${code} action=${action}`);
    while (action !== 'stop') {
      const delay = backoffDelay(this.attempt++, this.backoffBaseMs, this.backoffCapMs);
      log(`BACKOFF ${Math.round(delay)} ms`);
      await sleep(delay);
      try {
        if (action === 'resume' && this.sessionId && (await this.resume())) {
          return true;
        }
        await this.identify();
        return true;
      } catch (e) {
        if (e instanceof RpcError) {
          return false;
        }
        log(`RECONNECT failed: ${e.message}`);
        action = 'resume';
      }
    }
    return false;
  }

  /** Runs until a close that says stop. */
  async run() {
    await this.identify();
    for (;;) {
      const { code } = await this.connection.closed;
      if (!(await this.reconnect(code))) {
        log('STOPPED');
        return;
      }
    }
  }
}

function parseArgs(argv) {
  const args = { url: 'ws://127.0.0.1:8080/rpc', backoffBaseMs: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (name === '--url') args.url = argv[++i];
    else if (name === '--token') args.token = argv[++i];
    else if (name === '--backoff-base-ms') args.backoffBaseMs = Number(argv[++i]);
    else if (name === '--register') args.register = true;
    else if (name === '--simulate-drop') args.simulateDrop = true;
    else throw new Error(`unknown argument ${name}`);
  }
  return args;
}

/** The check ./run.sh test runs against a live server. */
async function simulateDrop(bot, httpUrl) {
  // Its own ONLINE follows READY (a new user observes nobody else, so it is the only PRESENCE_UPDATE).
  const online = bot.waitFor('PRESENCE_UPDATE', (e) => e.d.status === 'ONLINE');
  await bot.identify();
  const self = await bot.connection.call('users.self', {});
  await online;

  // A network drop: no close frame; the server keeps the session resumable.
  const dropped = bot.connection.closed;
  bot.connection.socket.terminate();
  const { code } = await dropped;
  log(`DROP code=${code}`);

  // Something happens while the bot is away: its own presence changes.
  await httpCall(httpUrl, 'users.presence', { status: 'IDLE' }, bot.token);
  const replayed = bot.waitFor('PRESENCE_UPDATE', (e) => e.d.user_id === self.id && e.d.status === 'IDLE');
  const resumed = bot.waitFor('RESUMED');
  if (!(await bot.reconnect(code))) {
    throw new Error('could not reconnect');
  }
  await replayed;
  await resumed;
  const again = await bot.connection.call('users.self', {});
  log(`SELF ${again.id === self.id ? 'same user' : 'another user!'}`);

  // A clean close ends the session: a resume is refused and the guide says to identify.
  const sessionId = bot.sessionId;
  bot.connection.socket.close(1000, 'done');
  const closed = await bot.connection.closed;
  log(`CLOSED code=${closed.code} (own close)`);
  const refused = await bot.resume();
  log(`END resumed_after_clean_close=${refused} session=${sessionId}`);
  if (refused) {
    process.exitCode = 1;
  }
  bot.connection.socket.close(1000);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const httpUrl = args.url.replace(/^ws/, 'http');
  if (args.register) {
    const username = `bot${Math.random().toString(36).slice(2, 12)}`;
    const password = 'correct horse battery';
    await httpCall(httpUrl, 'users.create', { username, password });
    args.token = (await httpCall(httpUrl, 'users.auth', { username, password })).token;
    log(`REGISTERED ${username}`);
  }
  if (!args.token) {
    throw new Error('--token TOKEN or --register is needed');
  }
  const bot = new GatewayBot(args);
  if (args.simulateDrop) {
    await simulateDrop(bot, httpUrl);
  } else {
    await bot.run();
  }
}

main().catch((e) => {
  log(`ERROR ${e.message}`);
  process.exitCode = 1;
});
