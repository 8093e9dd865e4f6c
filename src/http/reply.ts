// What a handler returns. Handlers never write to the response themselves; app.ts sends the Reply.
import type { Readable } from "node:stream";

export type Reply =
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string | string[]> }
  | { kind: "html"; status: number; body: string; headers?: Record<string, string | string[]> }
  | { kind: "text"; status: number; body: string; contentType: string; headers?: Record<string, string | string[]> }
  | { kind: "redirect"; status: 302 | 303; location: string; headers?: Record<string, string | string[]> }
  | { kind: "stream"; status: number; contentType: string; body: Readable | AsyncIterable<string | Buffer>; headers?: Record<string, string | string[]> }
  | { kind: "empty"; status: number; headers?: Record<string, string | string[]> }
  /** Nothing to send now: the hub holds the request and answers it later through its Exchange (a parked long poll). */
  | { kind: "parked"; status: number; headers?: Record<string, string | string[]> };

export interface Pagination {
  page: number;
  pageSize: number;
  total: number;
  /** Only when counting stopped at a cap (audit search): `total` is then a lower bound. */
  totalCapped?: boolean;
}

/** `{success:true,data}` */
export const ok = (data: unknown, headers?: Record<string, string | string[]>): Reply => ({
  kind: "json", status: 200, body: { success: true, data }, ...(headers ? { headers } : {}),
});

/** `{success:true,data:[...],pagination}` */
export const okList = (data: unknown[], pagination: Pagination): Reply => ({
  kind: "json", status: 200, body: { success: true, data, pagination },
});

/** The handler parked the request (domain/hub.ts): app.ts neither sends nor logs it now. */
export const parked = (): Reply => ({ kind: "parked", status: 200 });

/** `{success:true}` for mutations without a body. */
export const okEmpty = (): Reply => ({ kind: "json", status: 200, body: { success: true } });

export const html = (body: string, status = 200, headers?: Record<string, string | string[]>): Reply => ({
  kind: "html", status, body, ...(headers ? { headers } : {}),
});

export const redirect = (location: string, headers?: Record<string, string | string[]>): Reply => ({
  kind: "redirect", status: 303, location, ...(headers ? { headers } : {}),
});

export const text = (body: string, contentType = "text/plain; charset=utf-8", status = 200): Reply => ({
  kind: "text", status, body, contentType,
});

export const stream = (
  body: Readable | AsyncIterable<string | Buffer>,
  contentType: string,
  headers?: Record<string, string | string[]>,
): Reply => ({ kind: "stream", status: 200, contentType, body, ...(headers ? { headers } : {}) });
