# frozen_string_literal: true

# A minimal receiver of hookd's webhooks, with Ruby's standard library and WEBrick (Debian: ruby-webrick).
#
# It verifies the Standard Webhooks signature (HMAC-SHA256 over "webhook-id.webhook-timestamp.body", keyed by the
# base64 part of the whsec_ secret), refuses a timestamp more than 5 minutes from now (a replayed request), compares
# in constant time, accepts any of the signatures in the header (during a secret rotation there are two), and
# handles each webhook-id once (hookd delivers at least once, so a retry may repeat a delivery that did arrive).
#
#   ruby receiver.rb PORT SECRET
require 'base64'
require 'openssl'
require 'set'
require 'webrick'

TOLERANCE_S = 5 * 60
$fail_next = ENV['FAIL_FIRST'] == '1' # the first work fails: watch the retry handle it

# True when the request carries a valid, recent Standard Webhooks signature.
def verify(key, msg_id, timestamp, signatures, body)
  return false if msg_id.nil? || timestamp.nil? || signatures.nil? || !timestamp.match?(/\A\d+\z/)
  return false if (Time.now.to_i - timestamp.to_i).abs > TOLERANCE_S

  expected = Base64.strict_encode64(OpenSSL::HMAC.digest('SHA256', key, "#{msg_id}.#{timestamp}.".b + body.b))
  signatures.split(' ').any? do |entry|
    version, signature = entry.split(',', 2)
    version == 'v1' && !signature.nil? && signature.bytesize == expected.bytesize &&
      OpenSSL.fixed_length_secure_compare(signature, expected)
  end
end

# The application's work (answer fast: queue anything slow). Raise to have hookd deliver it again later.
def handle(msg_id, event_type, _body)
  if $fail_next
    $fail_next = false
    raise 'the work failed (FAIL_FIRST)'
  end
  puts "accepted #{msg_id} #{event_type}"
end

abort 'usage: receiver.rb PORT SECRET' unless ARGV.length == 2
port = Integer(ARGV[0])
key = Base64.strict_decode64(ARGV[1].delete_prefix('whsec_'))
seen = Set.new # webhook-ids whose work is done; a real application keeps them in its database
seen_lock = Mutex.new
$stdout.sync = true

server = WEBrick::HTTPServer.new(BindAddress: '127.0.0.1', Port: port,
                                 Logger: WEBrick::Log.new(File::NULL), AccessLog: [])
server.mount_proc '/' do |request, response|
  msg_id = request['webhook-id']
  body = request.body || ''
  if request.request_method != 'POST' ||
     !verify(key, msg_id, request['webhook-timestamp'], request['webhook-signature'], body)
    puts 'rejected: the signature does not verify'
    response.status = 400
    next
  end
  # The id is recorded only once its work is done (or durably queued): a delivery whose work failed is answered 500
  # and comes again. One delivery at a time here; a real application records the id in the same database
  # transaction as its work, under a unique key.
  response.status = seen_lock.synchronize do
    if seen.include?(msg_id)
      puts "duplicate #{msg_id}: already handled"
      next 204
    end
    begin
      handle(msg_id, request['x-webhook-event'], body)
    rescue StandardError => e
      puts "failed #{msg_id}: #{e.message}"
      next 500
    end
    seen.add(msg_id)
    204
  end
end
trap('TERM') { server.shutdown }
trap('INT') { server.shutdown }
puts "listening on 127.0.0.1:#{port}"
server.start
