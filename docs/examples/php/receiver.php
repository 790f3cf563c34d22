<?php
// A minimal receiver of hookd's webhooks, with PHP's standard library only: one request per run, as under
// php-fpm or `php -S`. The secret comes from the WEBHOOK_SECRET environment variable.
//
// It verifies the Standard Webhooks signature (HMAC-SHA256 over "webhook-id.webhook-timestamp.body", keyed by the
// base64 part of the whsec_ secret), refuses a timestamp more than 5 minutes from now (a replayed request), compares
// in constant time, accepts any of the signatures in the header (during a secret rotation there are two), and
// handles each webhook-id once (hookd delivers at least once, so a retry may repeat a delivery that did arrive).

const TOLERANCE_S = 5 * 60;

// True when the request carries a valid, recent Standard Webhooks signature.
function verify(string $secret, string $msgId, string $timestamp, string $signatures, string $body): bool
{
    if ($msgId === '' || $timestamp === '' || $signatures === '' || !ctype_digit($timestamp)) {
        return false;
    }
    if (abs(time() - (int) $timestamp) > TOLERANCE_S) {
        return false;
    }
    $key = base64_decode(preg_replace('/^whsec_/', '', $secret), true);
    if ($key === false) {
        return false;
    }
    $expected = base64_encode(hash_hmac('sha256', "$msgId.$timestamp.$body", $key, true));
    foreach (explode(' ', $signatures) as $entry) {
        [$version, $signature] = array_pad(explode(',', $entry, 2), 2, '');
        if ($version === 'v1' && hash_equals($expected, $signature)) {
            return true;
        }
    }
    return false;
}

// The application's work (answer fast: queue anything slow). Throw to have hookd deliver it again later.
function handle(string $msgId, string $eventType, string $body): void
{
    // With FAIL_FIRST=1 the first work fails (the marker directory is made once), to watch the retry handle it.
    if (getenv('FAIL_FIRST') === '1' && @mkdir((getenv('SEEN_DIR') ?: sys_get_temp_dir()) . '/failed-first')) {
        throw new RuntimeException('the work failed (FAIL_FIRST)');
    }
    say("accepted $msgId $eventType");
}

function say(string $line): void
{
    file_put_contents('php://stdout', $line . "\n");
}

$body = file_get_contents('php://input');
$msgId = $_SERVER['HTTP_WEBHOOK_ID'] ?? '';
if (!verify(getenv('WEBHOOK_SECRET') ?: '', $msgId, $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '',
            $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '', $body)) {
    say('rejected: the signature does not verify');
    http_response_code(400);
    return;
}
// The id is recorded only once its work is done (or durably queued): a delivery whose work failed is answered 500
// and comes again. A lock per id keeps two deliveries of it from working at once; a real application records the
// id in the same database transaction as its work, under a unique key.
$record = (getenv('SEEN_DIR') ?: sys_get_temp_dir()) . '/hookd-' . hash('sha256', $msgId);
$lock = fopen($record . '.lock', 'c');
flock($lock, LOCK_EX);
if (file_exists($record)) {
    say("duplicate $msgId: already handled");
    http_response_code(204);
} else {
    try {
        handle($msgId, $_SERVER['HTTP_X_WEBHOOK_EVENT'] ?? '', $body);
        touch($record);
        http_response_code(204);
    } catch (Throwable $e) {
        say("failed $msgId: " . $e->getMessage());
        http_response_code(500);
    }
}
flock($lock, LOCK_UN);
fclose($lock);
