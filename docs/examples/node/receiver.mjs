// A minimal receiver of hookd's webhooks, with Node's standard library only (node:http, node:crypto).
//
// It verifies the Standard Webhooks signature (HMAC-SHA256 over "webhook-id.webhook-timestamp.body", keyed by the
// base64 part of the whsec_ secret), refuses a timestamp more than 5 minutes from now (a replayed request),
// compares in constant time, accepts any of the signatures in the header (during a secret rotation there are two),
// and handles each webhook-id once (hookd delivers at least once, so a retry may repeat a delivery that arrived).
//
//   node receiver.mjs PORT SECRET
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const TOLERANCE_S = 5 * 60;
let failNext = process.env.FAIL_FIRST === "1"; // the first work fails: watch the retry handle it

export function verify(secret, headers, body) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_S) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]))
    .digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const [port, secret] = process.argv.slice(2);
if (!port || !secret) {
  console.error("usage: node receiver.mjs PORT SECRET");
  process.exit(2);
}
const seen = new Set(); // webhook-ids whose work is done; a real application keeps them in its database

// The application's work (answer fast: queue anything slow). Throw to have hookd deliver it again later.
function handle(id, eventType, body) {
  if (failNext) {
    failNext = false;
    throw new Error("the work failed (FAIL_FIRST)");
  }
  console.log(`accepted ${id} ${eventType}`);
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    if (!verify(secret, req.headers, body)) {
      console.log("rejected: the signature does not verify");
      res.writeHead(400).end();
      return;
    }
    const id = req.headers["webhook-id"];
    if (seen.has(id)) {
      console.log(`duplicate ${id}: already handled`);
      res.writeHead(204).end();
      return;
    }
    // The id is recorded only once its work is done (or durably queued): a delivery whose work failed is answered
    // 500 and comes again. A real application records the id in the same database transaction as its work, under a
    // unique key, so that two deliveries of one id at the same moment cannot both do it.
    try {
      handle(id, req.headers["x-webhook-event"] ?? "", body);
    } catch (e) {
      console.log(`failed ${id}: ${e}`);
      res.writeHead(500).end();
      return;
    }
    seen.add(id);
    res.writeHead(204).end();
  });
}).listen(Number(port), "127.0.0.1", () => console.log(`listening on 127.0.0.1:${port}`));
