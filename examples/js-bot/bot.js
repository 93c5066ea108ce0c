#!/usr/bin/env node
// A small gateway bot on the repository's JavaScript client (clients/js: method wrappers generated from the
// server's OpenRPC document over @open-rpc/client-js, and its Gateway), which follows methods.md's
// "Gateway guide":
// - it starts its gateway session with users.identify (READY comes before the reply);
// - it keeps the highest sequence number `s` and checks that no number is skipped;
// - after a drop it reconnects with jittered exponential backoff and calls gateway.resume on a new
//   WebSocket, with its token as the call's `auth`;
// - each close code leads to resume, identify or stop, as the guide's "Close codes" table says;
// - a close with 1000 ends its session for good.
//
//   node bot.js --url ws://127.0.0.1:8080/rpc --token TOKEN                 run until stopped, logging events
//   node bot.js --url ws://127.0.0.1:8080/rpc --register --simulate-drop    the check ./run.sh test runs:
//       register a user, start, drop the connection without a close frame, change presence over HTTP
//       while away, resume, see the missed event replayed, close with 1000 and see the resume refused.
'use strict';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function log(line) {
  process.stdout.write(`${line}\n`);
}

/** Logs one event the way the check reads it. */
function logEvent(event) {
  if (event.t === 'READY') {
    log(`READY session=${event.d.session_id} s=${event.s} user=${event.d.user.id} guilds=${event.d.guilds.length} presences=${event.d.presences.length}`);
  } else if (event.t === 'RESUMED') {
    log(`RESUMED s=${event.s} replayed=${event.d.replayed}`);
  } else if (event.t === 'PRESENCE_UPDATE') {
    log(`EVENT PRESENCE_UPDATE s=${event.s} user=${event.d.user_id} status=${event.d.status}`);
  } else {
    log(`EVENT ${event.t} s=${event.s}`);
  }
}

/** One call over HTTP; waits and retries when rate-limited, as the guide says. */
async function httpCall(client, call, retryAfterSeconds) {
  for (;;) {
    try {
      return await call(client.api);
    } catch (e) {
      const wait = retryAfterSeconds(e.data);
      if (!wait) {
        throw e;
      }
      log(`RATE_LIMITED waiting ${wait} s`);
      await sleep(wait * 1000);
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
async function simulateDrop(rpc, bot, http) {
  // Its own ONLINE follows READY (a new user observes nobody else, so it is the only PRESENCE_UPDATE).
  const online = bot.waitFor('PRESENCE_UPDATE', (e) => e.d.status === 'ONLINE');
  await bot.identify();
  const self = await bot.api.users.self();
  await online;

  // A network drop: no close frame; the server keeps the session resumable.
  const dropped = bot.connection.closed;
  bot.connection.socket.terminate();
  const close = await dropped;
  log(`DROP code=${close.code}`);

  // Something happens while the bot is away: its own presence changes.
  await httpCall(http, (api) => api.users.presence({ status: 'IDLE' }), rpc.retryAfterSeconds);
  const replayed = bot.waitFor('PRESENCE_UPDATE', (e) => e.d.user_id === self.id && e.d.status === 'IDLE');
  const resumed = bot.waitFor('RESUMED');
  if (!(await bot.reconnect(close))) {
    throw new Error('could not reconnect');
  }
  await replayed;
  await resumed;
  const again = await bot.api.users.self();
  log(`SELF ${again.id === self.id ? 'same user' : 'another user!'}`);

  // A clean close ends the session: a resume is refused and the guide says to identify.
  const sessionId = bot.sessionId;
  bot.connection.socket.close(1000, 'done');
  const closed = await bot.connection.closed;
  log(`CLOSED code=${closed.code} (own close)`);
  const refused = await bot.resume();
  log(`END resumed_after_clean_close=${refused} session=${sessionId}`);
  if (refused || bot.gap) {
    process.exitCode = 1;
  }
  bot.connection.socket.close(1000);
}

async function main() {
  const rpc = await import('../../clients/js/index.mjs');
  const args = parseArgs(process.argv.slice(2));
  const httpUrl = args.url.replace(/^ws/, 'http');
  if (args.register) {
    const anonymous = rpc.connectHttp(httpUrl);
    const username = `bot${Math.random().toString(36).slice(2, 12)}`;
    const password = 'correct horse battery';
    await httpCall(anonymous, (api) => api.users.create({ username, password }), rpc.retryAfterSeconds);
    args.token = (await httpCall(anonymous, (api) => api.users.auth({ username, password }), rpc.retryAfterSeconds)).token;
    log(`REGISTERED ${username}`);
  }
  if (!args.token) {
    throw new Error('--token TOKEN or --register is needed');
  }
  const bot = new rpc.Gateway({ ...args, onEvent: logEvent, log });
  if (args.simulateDrop) {
    await simulateDrop(rpc, bot, rpc.connectHttp(httpUrl, { token: args.token }));
  } else {
    await bot.run();
  }
}

main().catch((e) => {
  log(`ERROR ${e.message}${e.data ? `: ${e.data}` : ''}`);
  process.exitCode = 1;
});
