#!/usr/bin/perl
# Webhooks for account events (issue 14): an admin registers receivers in
# eight formats; admind queues events in MySQL and its delivery worker
# POSTs them to the mock's receiver (/__hook/<name>), generic ones signed
# with HMAC-SHA256, chat ones in each service's body shape (Feishu and
# DingTalk signed their way).  A receiver that answers 500 gets the event
# again after a backoff, until it takes it or the attempts run out.  URLs
# refused by the outbound policy are 400; URL and secret are never shown.
# A failed OAuth refresh raises account.refresh_failed, and the one that
# sets the account aside account.error, to the webhooks subscribed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use POSIX qw(strftime);
use Digest::SHA qw(hmac_sha256_hex hmac_sha256_base64);
use JSON::PP;
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind mock)],
    admind_conf => join("\n",
    'webhook_check_ms = 200',
    'webhook_backoff_seconds = 1',
    'webhook_max_attempts = 3',
    'oauth_claude_token_url = @MOCK_URL@/v1/oauth/token',
    'oauth_claude_client_id = test-client',
    'oauth_refresh_check_seconds = 1',
    'oauth_refresh_before_seconds = 600',
    'oauth_refresh_max_failures = 2'));
my $mock = $stack->mock_url;
my $JSON = JSON::PP->new->canonical;

sub api { $stack->admin(@_) }

sub hooks {
    my ($name) = @_;
    my $res = $stack->request('GET', "$mock/__mock/hooks?name=$name");
    return @{ $res->{json}{hooks} || [] };
}

sub make_hook {
    my (%o) = @_;
    my $res = api('POST', '/api/v1/webhooks', { %o });
    is($res->{status}, 201, "webhook $o{name} created")
        or diag($res->{content});
    return $res->{json};
}

sub deliveries {
    my ($id) = @_;
    return @{ api('GET', "/api/v1/webhooks/$id/deliveries")->{json}
                 {deliveries} || [] };
}

# queues a test and waits for its delivery to end (sent or failed)
sub test_hook {
    my ($hook) = @_;
    my $res = api('POST', "/api/v1/webhooks/$hook->{id}/test");
    is($res->{status}, 202, "test of $hook->{name} queued");
    my $id = $res->{json}{deliveryId};
    my $d;
    $stack->eventually(30, sub {
        ($d) = grep { $_->{id} eq $id } deliveries($hook->{id});
        $d && $d->{status} ne 'pending';
    });
    return $d;
}

sub url { "$mock/__hook/$_[0]" }

# ---- the generic format, signed ----

my $secret = 'whsec-' . QL::Stack::random_hex(16);
my $generic = make_hook(name => 'generic', url => url('generic'),
                        secret => $secret);
ok(!exists $generic->{secret} && !exists $generic->{url},
   'neither secret nor URL is shown');
ok($generic->{hasSecret}, '... hasSecret says there is a secret');
is($generic->{urlHint}, "http://127.0.0.1:" . $stack->mock_port,
   '... urlHint shows scheme, host and port');
is($generic->{format}, 'generic', 'format');
is_deeply($generic->{events}, [], 'all events (none listed)');
ok($generic->{enabled}, 'enabled by default');
my $got = api('GET', "/api/v1/webhooks/$generic->{id}")->{json};
ok(!exists $got->{secret} && !exists $got->{url}, 'GET shows neither');
unlike(api('GET', '/api/v1/webhooks')->{content}, qr/\Q$secret\E|__hook/,
       'nor does the list');
is($stack->sql_root("SELECT COUNT(*) FROM webhooks WHERE "
                    . "url_enc LIKE '%__hook%' OR secret_enc LIKE "
                    . "'%$secret%'") + 0, 0,
   'URL and secret are sealed at rest');

my $d = test_hook($generic);
is($d->{status}, 'sent', 'the test event was sent');
is($d->{attempts}, 1, '... at the first attempt');
is($d->{lastStatus}, 200, '... answered 200');
ok($d->{sentAt}, '... with the time it was sent');
my @h = hooks('generic');
is(scalar @h, 1, 'the receiver got it once');
my $h = $h[0];
is($h->{method}, 'POST', 'a POST');
like($h->{headers}{'content-type'}, qr{^application/json}, 'of JSON');
is($h->{headers}{'x-quotalane-event'}, 'webhook.test', 'X-QuotaLane-Event');
my $ts = $h->{headers}{'x-quotalane-timestamp'};
like($ts, qr/^\d{10}$/, 'X-QuotaLane-Timestamp in Unix seconds');
ok(abs($ts - time) < 120, '... close to now');
is($h->{headers}{'x-quotalane-signature'},
   'sha256=' . hmac_sha256_hex("$ts.$h->{body}", $secret),
   'X-QuotaLane-Signature verifies: HMAC-SHA256 over "<timestamp>.<body>"');
isnt($h->{headers}{'x-quotalane-signature'},
     'sha256=' . hmac_sha256_hex("$ts.$h->{body}", 'other'),
     '... and not with another secret');
my $body = decode_json($h->{body});
is_deeply([sort keys %$body],
          [sort qw(event accountId accountName message details timestamp id)],
          'the generic body has its members');
is($body->{event}, 'webhook.test', '... event');
is($body->{id}, $d->{id}, '... id is the delivery id');
like($body->{timestamp}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
     '... timestamp in RFC 3339');
ok(!defined $body->{accountId}, '... no account for a test');
is_deeply($d->{payload}{event}, 'webhook.test',
          'the delivery shows its payload');

# ---- a receiver that fails is retried ----

$stack->request('POST', "$mock/__mock/hooks", {},
                { name => 'flaky', times => 2, status => 500,
                  body => { error => 'busy' } });
my $flaky = make_hook(name => 'flaky', url => url('flaky'));
$d = test_hook($flaky);
is($d->{status}, 'sent', 'two 500s, then delivered');
is($d->{attempts}, 3, '... at the third attempt');
is($d->{lastStatus}, 200, '... last answered 200');
is_deeply([map { $_->{status} } hooks('flaky')], [500, 500, 200],
          'the receiver answered 500, 500, 200');
my @bodies = map { $_->{body} } hooks('flaky');
is($bodies[0], $bodies[2], 'the same event each time');

$stack->request('POST', "$mock/__mock/hooks", {},
                { name => 'down', times => 100, status => 503 });
my $down = make_hook(name => 'down', url => url('down'));
$d = test_hook($down);
is($d->{status}, 'failed', 'a receiver that keeps failing: failed');
is($d->{attempts}, 3, '... after webhook_max_attempts attempts');
is($d->{lastStatus}, 503, '... with its last status');
like($d->{lastError}, qr/HTTP 503/, '... and error');
is(scalar hooks('down'), 3, 'the receiver was called 3 times, no more');

# ---- the other formats ----

my %chat;
$chat{slack} = make_hook(name => 'slack', format => 'slack',
                         url => url('slack') . '/T000/B000/XXXX');
$chat{discord} = make_hook(name => 'discord', format => 'discord',
                           url => url('discord'));
$chat{telegram} = make_hook(name => 'telegram', format => 'telegram',
                            url => url('telegram') . '/bot123:abc/sendMessage',
                            chatId => '-100123');
$chat{feishu} = make_hook(name => 'feishu', format => 'feishu',
                          url => url('feishu'), secret => 'fs-secret');
$chat{dingtalk} = make_hook(name => 'dingtalk', format => 'dingtalk',
                            url => url('dingtalk') . '?access_token=tok1',
                            secret => 'SECdt');
$chat{wecom} = make_hook(name => 'wecom', format => 'wecom',
                         url => url('wecom') . '?key=wk1');
$chat{bark} = make_hook(name => 'bark', format => 'bark',
                        url => url('bark'));
is($chat{telegram}{chatId}, '-100123', 'the Telegram chat id is shown');
ok(!$chat{slack}{hasSecret}, 'no secret: hasSecret false');
unlike($JSON->encode($chat{slack}), qr/XXXX/, 'the Slack token is not shown');

for my $f (sort keys %chat) {
    my $d = test_hook($chat{$f});
    is($d->{status}, 'sent', "$f: sent") or diag(explain($d));
}

sub hook_body {
    my ($name) = @_;
    my ($h) = hooks($name);
    return ($h, $h ? decode_json($h->{body}) : {});
}

my ($hk, $b) = hook_body('slack');
is($hk->{path}, '/__hook/slack/T000/B000/XXXX', 'slack: the URL as given');
is_deeply([keys %$b], ['text'], 'slack: {"text"}');
like($b->{text}, qr/webhook\.test/, '... naming the event');

($hk, $b) = hook_body('discord');
is_deeply([keys %$b], ['content'], 'discord: {"content"}');
like($b->{content}, qr/webhook\.test/, '... naming the event');

($hk, $b) = hook_body('telegram');
is($hk->{path}, '/__hook/telegram/bot123:abc/sendMessage',
   'telegram: the bot URL');
is_deeply([sort keys %$b], [qw(chat_id text)], 'telegram: {"chat_id","text"}');
is($b->{chat_id}, '-100123', '... to the chat');

($hk, $b) = hook_body('feishu');
is($b->{msg_type}, 'text', 'feishu: msg_type text');
like($b->{content}{text}, qr/webhook\.test/, '... content.text');
like($b->{timestamp}, qr/^\d{10}$/, '... signed: timestamp in seconds');
is($b->{sign}, hmac_sha256_base64('', "$b->{timestamp}\nfs-secret") . '=',
   '... sign = base64(HMAC-SHA256(key = timestamp\\nsecret, ""))');

($hk, $b) = hook_body('dingtalk');
is($b->{msgtype}, 'text', 'dingtalk: msgtype text');
like($b->{text}{content}, qr/webhook\.test/, '... text.content');
my %q = map { my ($k, $v) = split /=/, $_, 2;
              $v =~ s/%([0-9A-Fa-f]{2})/chr(hex $1)/ge; ($k => $v) }
        split /&/, $hk->{query};
is($q{access_token}, 'tok1', '... the access token kept');
like($q{timestamp}, qr/^\d{13}$/, '... signed: timestamp in ms');
is($q{sign}, hmac_sha256_base64("$q{timestamp}\nSECdt", 'SECdt') . '=',
   '... sign = base64(HMAC-SHA256(key = secret, timestamp\\nsecret))');

($hk, $b) = hook_body('wecom');
is($hk->{query}, 'key=wk1', 'wecom: the key kept');
is($b->{msgtype}, 'text', '... msgtype text');
like($b->{text}{content}, qr/webhook\.test/, '... text.content');

($hk, $b) = hook_body('bark');
is_deeply([sort keys %$b], [qw(body group title)],
          'bark: {"title","body","group"}');
is($b->{group}, 'QuotaLane', '... group QuotaLane');

# a DingTalk answer of 200 with an error code is no delivery
$stack->request('POST', "$mock/__mock/hooks", {},
                { name => 'dingbad', times => 100, status => 200,
                  body => { errcode => 310000, errmsg => 'sign not match' } });
my $dingbad = make_hook(name => 'dingbad', format => 'dingtalk',
                        url => url('dingbad'));
$d = test_hook($dingbad);
is($d->{status}, 'failed', 'dingtalk: 200 with errcode is a failure');
like($d->{lastError}, qr/errcode 310000: sign not match/, '... saying why');

# ---- what is refused ----

sub refused {
    my ($body, $what, $re) = @_;
    my $res = api('POST', '/api/v1/webhooks', $body);
    is($res->{status}, 400, "$what: 400");
    is($res->{json}{error}{code}, 'invalid_argument', '... invalid_argument');
    like($res->{json}{error}{message}, $re, '... saying why') if $re;
}

refused({ name => 'ssrf1', url => 'http://10.1.2.3/hook' },
        'a private address', qr/url/);
refused({ name => 'ssrf2', url => 'http://127.0.0.1:1/hook' },
        'loopback on a port outbound_allow does not cover', qr/url/);
refused({ name => 'ssrf3', url => 'http://169.254.169.254/latest' },
        'the metadata address', qr/url/);
refused({ name => 'ssrf4', url => 'http://0x7f000001/' },
        'a hex IPv4 host', qr/url/);
refused({ name => 'scheme', url => 'file:///etc/passwd' }, 'a file URL');
refused({ name => 'frag', url => url('x') . '#f' }, 'a fragment', qr/url/);
refused({ name => 'q', url => url('x') . '?a=<b>' }, 'a bad query',
        qr/url/);
refused({ name => 'tg', format => 'telegram', url => url('tg') },
        'telegram without chatId', qr/chatId/);
refused({ name => 'sl', format => 'slack', url => url('sl'),
          secret => 's' }, 'a secret for slack', qr/secret/);
refused({ name => 'cid', url => url('cid'), chatId => '1' },
        'a chatId for generic', qr/chatId/);
refused({ name => 'ev', url => url('ev'), events => ['account.nope'] },
        'an unknown event', qr/events/);
refused({ name => 'fmt', format => 'irc', url => url('fmt') },
        'an unknown format', qr/format/);

my $res = api('PATCH', "/api/v1/webhooks/$generic->{id}",
              { url => 'http://192.168.1.1/x' });
is($res->{status}, 400, 'PATCH to a refused URL: 400');
$res = api('PATCH', "/api/v1/webhooks/$generic->{id}",
           { format => 'slack' });
is($res->{status}, 400, 'the format cannot change');
is(api('POST', '/api/v1/webhooks/999999/test')->{status}, 404,
   'testing a missing webhook: 404');
is(api('GET', '/api/v1/webhooks/999999/deliveries')->{status}, 404,
   'deliveries of a missing webhook: 404');

# a user is no admin
my $user = $stack->make_user(password => 'user-password');
my $login = $stack->request('POST', $stack->admin_url . '/api/v1/auth/login',
    {}, { username => $user->{username}, password => 'user-password' });
my $token = $login->{json}{accessToken} // $login->{json}{token};
$res = $stack->request('GET', $stack->admin_url . '/api/v1/webhooks',
                       { Authorization => "Bearer $token" });
is($res->{status}, 403, 'users may not list webhooks');

# ---- account events, subscriptions, a changed secret ----

# only account.error for this one; the generic one takes everything
my $errors = make_hook(name => 'errors', url => url('errors'),
                       events => ['account.error']);
is_deeply($errors->{events}, ['account.error'], 'events stored');
$res = api('PATCH', "/api/v1/webhooks/$flaky->{id}", { enabled => \0 });
is($res->{status}, 200, 'a webhook disabled');
ok(!$res->{json}{enabled}, '... shown disabled');
$secret = 'whsec-new';
$res = api('PATCH', "/api/v1/webhooks/$generic->{id}",
           { secret => $secret });
is($res->{status}, 200, 'the generic secret changed');
$stack->request('DELETE', "$mock/__mock/hooks");

my $acct = $stack->make_account(type => 'claude-official',
    name => 'max-1', accessToken => 'at-old', refreshToken => 'rt-dead',
    accessTokenExpiresAt => strftime('%Y-%m-%dT%H:%M:%SZ',
                                     gmtime(time + 60)));
ok($stack->eventually(30, sub { grep({ decode_json($_->{body})->{event}
                               eq 'account.error' } hooks('errors')) }),
   'a refresh that keeps failing: account.error reaches its subscriber');
is(scalar(hooks('errors')), 1, '... and only that event');
my ($e) = map { decode_json($_->{body}) } hooks('errors');
is($e->{accountId}, $acct->{id}, '... about the account');
is($e->{accountName}, 'max-1', '... by name');
is($e->{details}{refreshFailures}, 2, '... with details');

ok($stack->eventually(10, sub { 3 <= grep { 1 } hooks('generic') }),
   'the generic webhook got every event');
my @ev = map { decode_json($_->{body})->{event} } hooks('generic');
is_deeply([sort @ev], [sort qw(account.refresh_failed
                               account.refresh_failed account.error)],
          '... two failed refreshes and the error');
like($_->{body}, qr/token endpoint answered 400/, '... saying why')
    for grep { decode_json($_->{body})->{event} eq 'account.refresh_failed' }
        hooks('generic');
for my $hh (hooks('generic')) {
    my $t = $hh->{headers}{'x-quotalane-timestamp'};
    is($hh->{headers}{'x-quotalane-signature'},
       'sha256=' . hmac_sha256_hex("$t.$hh->{body}", $secret),
       'signed with the new secret');
}
is(scalar hooks('flaky'), 0, 'the disabled webhook got none');

# ---- two admind processes: each delivery is sent once ----

my $port2 = QL::Stack::free_port();
my $conf2 = $stack->dir . '/admind2.conf';
my $text = do { local (@ARGV, $/) = ($stack->dir . '/admind.conf'); <> };
$text =~ s/^listen = .*$/listen = 127.0.0.1:$port2/m;
QL::Stack::write_file($conf2, $text, 0600);
$stack->spawn('admind2', $stack->dir . '/log/admind2.log',
              QL::Stack::repo() . '/build/admind', '-c', $conf2);
$stack->wait_for('a second admind', 60, sub {
    QL::Stack::port_open($port2) });

# a slow receiver: one process alone would take 6 s for the lot
$stack->request('POST', "$mock/__mock/hooks", {},
                { name => 'pair', delay_ms => 300 });
my $pair = make_hook(name => 'pair', url => url('pair'),
                     events => ['webhook.test']);
my %queued;
for (1 .. 20) {
    my $r = api('POST', "/api/v1/webhooks/$pair->{id}/test");
    $queued{ $r->{json}{deliveryId} // 'none' } = 1;
}
is(scalar(keys %queued), 20, '20 test events queued');
ok($stack->eventually(60, sub {
       my $r = api('GET', "/api/v1/webhooks/$pair->{id}/deliveries"
                   . '?pageSize=100');
       20 == grep { $_->{status} eq 'sent' } @{ $r->{json}{deliveries} };
   }), 'all of them sent, by either process');
my %seen;
$seen{ decode_json($_->{body})->{id} }++ for hooks('pair');
is_deeply(\%seen, { map { ($_ => 1) } keys %queued },
          'the receiver got each exactly once');
my %by;
for my $which ('admind', 'admind2') {
    open my $fh, '<', $stack->dir . "/log/$which.log" or die $!;
    $by{$which} = grep { /"webhook delivered".*"webhook_id":$pair->{id},/ }
                  <$fh>;
}
ok($by{admind} > 0 && $by{admind2} > 0,
   "both processes sent some ($by{admind} and $by{admind2})");

# ---- a changed URL; old deliveries purged ----

$res = api('PATCH', "/api/v1/webhooks/$generic->{id}",
           { url => url('moved') });
is($res->{status}, 200, 'the generic URL changed');
$d = test_hook($generic);
is($d->{status}, 'sent', 'a test after the change is sent');
is(scalar hooks('moved'), 1, '... to the new URL');

$stack->sql_root("INSERT INTO webhook_deliveries (webhook_id, event, "
                 . "payload, status, created_at) VALUES ($generic->{id}, "
                 . "'webhook.test', '{}', 'sent', "
                 . "UTC_TIMESTAMP() - INTERVAL 31 DAY), ($generic->{id}, "
                 . "'webhook.test', '{}', 'pending', "
                 . "UTC_TIMESTAMP() - INTERVAL 31 DAY)");
is($stack->stop_admind, 0, 'admind stops cleanly with webhooks');
$stack->_spawn_admind;
ok($stack->eventually(20, sub {
       $stack->sql_root("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                        . "created_at < UTC_TIMESTAMP() - INTERVAL 30 DAY "
                        . "AND status = 'sent'") == 0 }),
   'a delivery sent 31 days ago is purged (webhook_retention_days 30)');
ok($stack->eventually(20, sub {
       $stack->sql_root("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                        . "created_at < UTC_TIMESTAMP() - INTERVAL 30 DAY "
                        . "AND status = 'pending'") == 0 }),
   '... a pending one of that age is sent, not dropped');

# ---- deletion ----

is(api('DELETE', "/api/v1/webhooks/$down->{id}")->{status}, 204,
   'a webhook deleted');
is($stack->sql_root("SELECT COUNT(*) FROM webhook_deliveries WHERE "
                    . "webhook_id = $down->{id}") + 0, 0,
   '... with its deliveries');

my $log = do { local (@ARGV, $/) = ($stack->dir . '/log/admind.log'); <> };
unlike($log, qr/\Q$secret\E|whsec-|fs-secret|SECdt|tok1|wk1|bot123/,
       'no URL credential or secret in the log');

$stack->finish;
