// The chat server's JavaScript client: the generated method wrappers (api.generated.mjs, from the server's
// OpenRPC document) over @open-rpc/client-js, on HTTP or a WebSocket, and the Gateway of methods.md's guide.
import { Client, RequestManager, HTTPTransport, JSONRPCError } from '@open-rpc/client-js';
import { api } from './api.generated.mjs';

export { api, JSONRPCError };
export { connectWebSocket } from './transport.mjs';
export { Gateway, actionFor, backoffDelay, reconnectDelay } from './gateway.mjs';
export { RATE_LIMIT_PREFIX, retryAfterSeconds } from './ratelimit.mjs';

/** A client that posts each call to `url` (http://HOST/rpc), with `token` as `Authorization: Bearer`. */
export function connectHttp(url, { token } = {}) {
  const transport = new HTTPTransport(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const client = new Client(new RequestManager([transport]));
  return { client, api: api(client), close: () => client.close() };
}
