// A real MCP server (the TypeScript SDK, over stdio) for the gateway's tests: tools that report what reached it, send
// notifications on demand, and misbehave on purpose. Options: --ignore-termination keeps it running after its input
// closes and through SIGTERM (only SIGKILL stops it).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const ignoreTermination = process.argv.includes('--ignore-termination');
const server = new McpServer({ name: 'gateway-test-server', version: '1.0.0' }, {
  capabilities: { resources: { subscribe: true, listChanged: true }, logging: {}, tools: { listChanged: true } },
});
let cancellations = 0;
const subscribed = new Set();

server.registerTool('echo', { inputSchema: { message: z.string() } }, async ({ message }) => ({ content: [{ type: 'text', text: message }] }));
server.registerTool('pid', {}, async () => ({ content: [{ type: 'text', text: String(process.pid) }] }));
server.registerTool('crash', {}, async () => { process.exit(3); });
server.registerTool('hang', {}, () => new Promise(() => {}));
// A tool without input gets the request's extra as its only argument.
server.registerTool('wait_for_cancel', {}, (extra) => new Promise((resolve) => {
  process.stderr.write('waiting for cancel\n');
  extra.signal.addEventListener('abort', () => { cancellations++; resolve({ content: [{ type: 'text', text: 'cancelled' }] }); });
}));
server.registerTool('slow_with_progress', { inputSchema: { seconds: z.number() } }, async ({ seconds }, extra) => {
  const token = extra._meta?.progressToken;
  for (let i = 1; i <= seconds * 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: seconds * 4 } });
  }
  return { content: [{ type: 'text', text: 'done after ' + seconds + ' s' }] };
});
server.registerTool('cancellations', {}, async () => ({ content: [{ type: 'text', text: String(cancellations) }] }));
server.registerTool('flood', { inputSchema: { lines: z.number() } }, async ({ lines }) => {
  for (let i = 0; i < lines; i++) process.stderr.write(`flood line ${i}\n`);
  return { content: [{ type: 'text', text: 'flooded' }] };
});
server.registerTool('add_tool', { inputSchema: { name: z.string() } }, async ({ name }) => {
  server.registerTool(name, {}, async () => ({ content: [{ type: 'text', text: name }] }));   // sends tools/list_changed
  return { content: [{ type: 'text', text: 'added ' + name }] };
});
server.registerTool('touch', { inputSchema: { uri: z.string() } }, async ({ uri }) => {
  if (subscribed.has(uri)) await server.server.sendResourceUpdated({ uri });
  await server.sendLoggingMessage({ level: 'warning', data: 'touched ' + uri });
  return { content: [{ type: 'text', text: subscribed.has(uri) ? 'notified' : 'not subscribed' }] };
});
server.registerResource('thing', 'test://things/1', { mimeType: 'text/plain' }, async (uri) => ({ contents: [{ uri: uri.href, text: 'thing one' }] }));
server.server.setRequestHandler(SubscribeRequestSchema, async (request) => { subscribed.add(request.params.uri); return {}; });
server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => { subscribed.delete(request.params.uri); return {}; });

if (ignoreTermination) {
  process.on('SIGTERM', () => {});
  process.on('SIGINT', () => {});
  setInterval(() => {}, 1 << 30);   // stays alive after its input closes
}

await server.connect(new StdioServerTransport());
