// A receiver of hookd's webhooks in Express and TypeScript, verified with the standardwebhooks library (npm), which
// checks the signature over "id.timestamp.body", the 5-minute timestamp tolerance, every signature of the header
// (two during a secret rotation), in constant time.
//
// The mistake Express invites, avoided: express.json() parses the body and the raw bytes the signature covers are
// gone; re-serialising the parsed object does not give them back. This route takes the body with express.raw()
// and parses it only after it verifies. A webhook-id is recorded as handled only once its work is done, so a
// delivery whose work failed is answered 500 and delivered again.
//
//   npm ci && npm run build && node dist/receiver.js PORT SECRET     (run.sh does the last two)
import express, { type Request, type Response } from "express";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

interface HookdEvent {
  id: string;
  type: string;
  created: string;
  data: Record<string, unknown>;
}

const [port, secret] = process.argv.slice(2);
if (!port || !secret) {
  console.error("usage: node dist/receiver.js PORT SECRET");
  process.exit(2);
}
const verifier = new Webhook(secret);
let failNext = process.env.FAIL_FIRST === "1"; // the first work fails: watch the retry handle it
const handled = new Set<string>(); // webhook-ids whose work is done; a real application keeps them in its database

// The application's work: here, a line. Throw to have hookd deliver it again later.
async function handle(event: HookdEvent): Promise<void> {
  if (failNext) {
    failNext = false;
    throw new Error("the work failed (FAIL_FIRST)");
  }
  console.log(`accepted ${event.id} ${event.type}`);
}

const app = express();
app.post("/", express.raw({ type: "*/*", limit: "1mb" }), async (req: Request, res: Response) => {
  const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  let event: HookdEvent;
  try {
    event = verifier.verify(body, req.headers as Record<string, string>) as HookdEvent;
  } catch (e) {
    console.log(`rejected: ${e instanceof WebhookVerificationError ? e.message : "the signature does not verify"}`);
    res.sendStatus(400);
    return;
  }
  const id = req.header("webhook-id") as string;
  // Two deliveries of one id at the same moment could both pass this check: a real application records the id in
  // the same database transaction as its work, under a unique key.
  if (handled.has(id)) {
    console.log(`duplicate ${id}: already handled`);
    res.sendStatus(204);
    return;
  }
  try {
    await handle(event);
  } catch (e) {
    console.log(`failed ${id}: ${String(e)}`); // not recorded: hookd's retry does it again
    res.sendStatus(500);
    return;
  }
  handled.add(id);
  res.sendStatus(204);
});

app.listen(Number(port), "127.0.0.1", () => console.log(`listening on 127.0.0.1:${port}`));
