// Loaded with `node --import ./loopback.mjs`: a server that asks to listen on a port alone (as the npm MCP servers do,
// on every interface) listens on 127.0.0.1 only, so servers the tests start are reachable from this machine alone.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    const callback = args.find((a) => typeof a === 'function');
    return listen.call(this, { port: Number(args[0]), host: '127.0.0.1' }, callback);
  }
  return listen.apply(this, args);
};
