// Types of index.mjs; api.generated.d.ts has every method's params and result.
import type { Client } from '@open-rpc/client-js';
import type { Api } from './api.generated';
export type * from './api.generated';

export declare const RATE_LIMIT_PREFIX: 'rate limited: retry after ';
export declare function retryAfterSeconds(data: unknown): number | null;
export declare function api(client: Client): Api;
export declare function connectHttp(url: string, options?: { token?: string }): { client: Client; api: Api; close(): void };
export declare function connectWebSocket(url: string, options?: { token?: string; onNotification?: (n: { method: string; params: any }) => void }):
  Promise<{ client: Client; api: Api; socket: import('ws').WebSocket; closed: Promise<{ code: number; reason: string }> }>;
export interface GatewayEvent { t: string; s: number; d: any }
export declare function actionFor(code: number): 'resume' | 'identify' | 'stop';
export declare function backoffDelay(attempt: number, baseMs: number, capMs: number): number;
export declare function reconnectDelay(close: { code: number; reason: string }, attempt: number, baseMs: number, capMs: number): number;
export declare class Gateway {
  constructor(options: { url: string; token: string; backoffBaseMs?: number; backoffCapMs?: number; onEvent?: (e: GatewayEvent) => void; log?: (line: string) => void });
  sessionId: string | null;
  seq: number;
  readonly api: Api;
  waitFor(t: string, match?: (e: GatewayEvent) => boolean): Promise<GatewayEvent>;
  identify(): Promise<void>;
  resume(): Promise<boolean>;
  reconnect(code: number): Promise<boolean>;
  run(): Promise<void>;
}
