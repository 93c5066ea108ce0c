// The WebSocket reference of ./run.sh bench (issue #18): Node's `ws` answering users.check from memory, so the
// server's CPU per WebSocket message is compared with what the leanest common stack spends on the same exchange.
// It parses each request and writes a JSON-RPC reply as a server would; the names are user0 ... user<N-1>.
// Started by Rpc.Bench with NODE_PATH pointing at clients/js/node_modules (scripts/install-js-bot.sh installs ws).
'use strict';
const { WebSocketServer } = require('ws');

const users = Number(process.argv[2] ?? '100000');
const taken = (name) => typeof name === 'string' && /^user\d+$/.test(name) && Number(name.slice(4)) < users;

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/rpc', perMessageDeflate: false });
server.on('listening', () => console.log(`listening: POST http://127.0.0.1:${server.address().port}/rpc`));
server.on('connection', (socket) => {
  socket.on('message', (data) => {
    let request;
    try {
      request = JSON.parse(data);
    } catch {
      socket.send('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    const name = Array.isArray(request.params) ? request.params[0] : request.params?.username;
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: taken(name) }));
  });
});
