// One HTTP call to hookd with what every call needs: the bearer credential, JSON in and out, an error answer as its
// error class, and retries of what can safely be tried again: a 429 or 503 (the server did nothing) after the
// Retry-After it asked for, and a call that got no answer when it is a read or carries an idempotency key.
import { ConnectionFailed, HookdError, errorFor } from "./errors.js";

export interface TransportOptions {
  baseUrl: string;
  credential: string;
  /** Per call, in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Retries of 429/503 and of unanswered safe calls (default 3). */
  maxRetries?: number;
  /** The longest wait a Retry-After may ask for, in seconds (default 30). */
  maxWaitSeconds?: number;
  /** How to wait; tests pass their own. */
  sleep?: (seconds: number) => Promise<void>;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface Call {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  /** May a call that got no answer be sent again (default: GET and DELETE). */
  retryUnanswered?: boolean;
}

const RETRIED = new Set([429, 503]);

export class Transport {
  private readonly base: string;

  constructor(private readonly options: TransportOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
  }

  async call<T>(call: Call): Promise<T> {
    const maxRetries = this.options.maxRetries ?? 3;
    const retryUnanswered = call.retryUnanswered ?? (call.method === "GET" || call.method === "DELETE");
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(call);
      } catch (e) {
        if (!(e instanceof HookdError) || attempt >= maxRetries) throw e;
        if (!RETRIED.has(e.status) && !(e.status === 0 && retryUnanswered)) throw e;
        const wait = e.retryAfter ?? 0.25 * 2 ** attempt;
        await (this.options.sleep ?? sleep)(Math.min(this.options.maxWaitSeconds ?? 30, wait) + Math.random() * 0.1);
      }
    }
  }

  private async once<T>(call: Call): Promise<T> {
    const url = new URL(this.base + call.path);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.options.credential}`,
      Accept: "application/json",
      "User-Agent": "hookd-client-typescript",
      ...call.headers,
    };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    let answer: Response;
    try {
      answer = await fetch(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new ConnectionFailed(e instanceof Error ? `${e.message}${e.cause ? `: ${String(e.cause)}` : ""}` : String(e));
    }
    const text = await answer.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!answer.ok) {
      const retryAfter = Number(answer.headers.get("retry-after"));
      throw errorFor(answer.status, body, answer.headers.has("retry-after") && retryAfter >= 0 ? retryAfter : null);
    }
    return body as T;
  }
}

function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}
