# A receiver of hookd's webhooks in Sinatra (Debian: ruby-sinatra, served by WEBrick: ruby-webrick).
#
# The mistakes frameworks invite, avoided: the signature covers the raw bytes of the body, so they are read with
# request.body.read before anything parses them; the timestamp is checked (5 minutes); the comparison is
# constant-time (Rack::Utils.secure_compare); any of the header's signatures may match (two during a secret
# rotation); and a webhook-id is recorded as handled only once its work is done.
#
#   ruby receiver.rb PORT SECRET
require "base64"
require "json"
require "openssl"
require "rack/utils"
require "sinatra/base"
require "webrick"

class Receiver < Sinatra::Base
  TOLERANCE_S = 5 * 60
  @fail_next = ENV["FAIL_FIRST"] == "1" # the first work fails: watch the retry handle it
  HANDLED = {} # webhook-ids whose work is done; a real application keeps them in its database
  LOCK = Mutex.new

  set :bind, "127.0.0.1"
  set :server, "webrick"
  set :logging, false
  set :server_settings, { AccessLog: [], Logger: WEBrick::Log.new(nil, 0) }

  def self.verify(secret, env, body)
    msg_id, timestamp, signatures = env["HTTP_WEBHOOK_ID"], env["HTTP_WEBHOOK_TIMESTAMP"], env["HTTP_WEBHOOK_SIGNATURE"]
    return false unless msg_id && timestamp && signatures && timestamp.match?(/\A\d+\z/)
    return false if (Time.now.to_i - timestamp.to_i).abs > TOLERANCE_S
    key = Base64.decode64(secret.delete_prefix("whsec_"))
    expected = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", key, "#{msg_id}.#{timestamp}.#{body}"))
    signatures.split(" ").any? do |entry|
      version, signature = entry.split(",", 2)
      version == "v1" && signature && Rack::Utils.secure_compare(signature, expected)
    end
  end

  # The application's work: here, a line. Raise to have hookd deliver it again later.
  def self.handle(event)
    if @fail_next
      @fail_next = false
      raise "the work failed (FAIL_FIRST)"
    end
    puts "accepted #{event["id"]} #{event["type"]}"
    $stdout.flush
  end

  post "/" do
    body = request.body.read # the raw bytes, before any parsing
    unless Receiver.verify(settings.secret, request.env, body)
      puts "rejected: the signature does not verify"
      $stdout.flush
      halt 400
    end
    msg_id = request.env["HTTP_WEBHOOK_ID"]
    LOCK.synchronize do # one delivery of an id at a time: a real application uses a unique key in its database
      if HANDLED[msg_id]
        puts "duplicate #{msg_id}: already handled"
        $stdout.flush
        halt 204
      end
      begin
        Receiver.handle(JSON.parse(body))
      rescue StandardError => e # the work failed: not recorded, so hookd's retry does it again
        puts "failed #{msg_id}: #{e.message}"
        $stdout.flush
        halt 500
      end
      HANDLED[msg_id] = true
    end
    204
  end
end

abort "usage: receiver.rb PORT SECRET" unless ARGV.length == 2
Receiver.set :port, Integer(ARGV[0])
Receiver.set :secret, ARGV[1]
Receiver.run!
