// The WebSocket reference of ./run.sh bench (issue #18): Node's `ws` answering users.check from memory, so the
// bench can put the server's CPU per message beside Node's. Usage: node bench/ws-reference.mjs USERS; prints
// "node ws reference ready: POST http://127.0.0.1:PORT/rpc" (the line the bench waits for) and serves
// ws://127.0.0.1:PORT/rpc until killed. Names user0 … user(USERS-1) are taken, as in the bench's database.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const users = Number(process.argv[2] ?? 100000);
const taken = new Set();
for (let i = 0; i < users; i++) taken.add(`user${i}`);

const server = http.createServer((request, response) => {
  response.writeHead(404);
  response.end();
});
const sockets = new WebSocketServer({ server, path: '/rpc', perMessageDeflate: false });
sockets.on('connection', (socket) => {
  socket.on('message', (data) => {
    let reply;
    try {
      const call = JSON.parse(data);
      const name = Array.isArray(call.params) ? call.params[0] : call.params?.username;
      reply = JSON.stringify({ jsonrpc: '2.0', id: call.id, result: taken.has(String(name).toLowerCase()) });
    } catch {
      reply = '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}';
    }
    socket.send(reply);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`node ws reference ready: POST http://127.0.0.1:${server.address().port}/rpc`));
