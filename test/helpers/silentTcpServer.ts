import { createServer, type Socket } from 'node:net';
import { freePort } from './freePort.js';

/** A "camera" on loopback that accepts TCP and never says a word: for stall and time-out tests. */
export interface SilentTcpServer {
  readonly port: number;
  /** drops every connection and closes the listener */
  stop(): Promise<void>;
}

export async function startSilentTcpServer(): Promise<SilentTcpServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
