// A WebSocket connection over @open-rpc/client-js that carries the server's `auth` member and reports closes.
import { Client, RequestManager, WebSocketTransport } from '@open-rpc/client-js';
import { api } from './api.generated.mjs';

/**
 * @open-rpc/client-js' WebSocket transport, with the server's top-level `auth` member on every request
 * when a token is given: `gateway.resume` on a new connection needs it, and the server reads it as the
 * connection's own token otherwise.
 */
class AuthWebSocketTransport extends WebSocketTransport {
  constructor(uri, auth) {
    super(uri);
    this.auth = auth;
  }

  parseData(data) {
    const message = super.parseData(data);
    if (this.auth && !Array.isArray(message)) {
      message.auth = this.auth;
    }
    return message;
  }
}

/**
 * A client over a new WebSocket to `url` (ws://HOST/rpc). `onNotification` gets every server push
 * (`gateway.event` params among them); `closed` resolves with `{code, reason}` when the socket closes
 * (1006 when it dropped without a close frame); `socket` is the `ws` object itself.
 */
export async function connectWebSocket(url, { token, onNotification } = {}) {
  const transport = new AuthWebSocketTransport(url, token);
  const socket = transport.connection;
  const closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {}); // 'close' follows every error
  const client = new Client(new RequestManager([transport]));
  if (onNotification) {
    client.onNotification(onNotification);
  }
  await opened;
  return { client, api: api(client), socket, closed };
}
