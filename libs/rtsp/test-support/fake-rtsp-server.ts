/** A scripted RTSP server on loopback for unit tests: each request goes to a handler that replies or stays silent. */
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeRequest {
  method: string;
  url: string;
  /** Header names lower-case. */
  headers: Record<string, string>;
}

export interface FakeExchange {
  request: FakeRequest;
  socket: Socket;
  reply(status: string, headers?: Record<string, string | string[]>, body?: string): void;
}

export interface FakeRtspServer {
  port: number;
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeRtspServer(handle: (exchange: FakeExchange) => void): Promise<FakeRtspServer> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const [line = '', ...headerLines] = buffered.slice(0, end).split('\r\n');
        buffered = buffered.slice(end + 4);
        const [method = '', url = ''] = line.split(' ');
        const headers = Object.fromEntries(
          headerLines.map((h) => [h.slice(0, h.indexOf(':')).trim().toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]),
        );
        const request = { method, url, headers };
        requests.push(request);
        handle({
          request,
          socket,
          reply: (status, replyHeaders = {}, body = '') => {
            const lines = [`RTSP/1.0 ${status}`, `CSeq: ${headers['cseq']}`];
            for (const [name, value] of Object.entries(replyHeaders)) {
              for (const v of [value].flat()) lines.push(`${name}: ${v}`);
            }
            if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
            socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
          },
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `rtsp://127.0.0.1:${port}/live`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `$`-framing for interleaved RTP/RTCP (RFC 2326 §10.12). */
export function interleavedFrame(channel: number, data: Buffer): Buffer {
  const header = Buffer.from([0x24, channel, 0, 0]);
  header.writeUInt16BE(data.length, 2);
  return Buffer.concat([header, data]);
}
