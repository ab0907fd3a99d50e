#!/usr/bin/perl
# The Claude gateway end to end: keys and accounts made through admind,
# requests through nginx and our module to the mock upstream, which sees
# the account's credential and never the client's key.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new(
    key_cache_ttl => '1s',
    nginx_server  => 'quotalane_body_limit 64k;',
);

my $body = { model => 'claude-sonnet-4-5', max_tokens => 64,
             messages => [ { role => 'user', content => 'hi' } ] };

sub header_of {
    my ($req, $name) = @_;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name }
            @{ $req->{headers} };
    return wantarray ? @v : $v[0];
}

sub last_request { $stack->mock_requests->[-1] }

sub is_error {
    my ($res, $status, $type, $name) = @_;
    is($res->{status}, $status, "$name: $status");
    is($res->{json}{type}, 'error', "$name: Anthropic error shape");
    is($res->{json}{error}{type}, $type, "$name: $type");
    ok(length($res->{json}{error}{message} // ''), "$name: has a message");
}

# No account yet: 503 in the platform's shape.
my $key = $stack->make_key(permissions => ['claude']);
like($key->{key}, qr/^cr_[0-9a-f]{64}$/, 'admind hands out a cr_ key once');
my $auth = { 'x-api-key' => $key->{key},
             'anthropic-version' => '2023-06-01' };

is_error($stack->gateway('POST', '/v1/messages', $auth, $body), 503,
         'api_error', 'no account');

my $secret = 'sk-ant-api03-console-' . QL::Stack::random_hex(8);
my $console = $stack->make_account(name => 'console-1', apiKey => $secret);

# Non-streaming JSON passes through.
$stack->mock_clear;
my $res = $stack->gateway('POST', '/v1/messages', $auth, $body);
is($res->{status}, 200, 'good key: 200');
is($res->{json}{content}[0]{text}, 'Hello from mock', 'mock text back');
is($res->{json}{usage}{input_tokens}, 12, 'usage back');

my $seen = last_request();
is($seen->{path}, '/v1/messages', 'upstream path');
is(header_of($seen, 'x-api-key'), $secret, "upstream saw the account's key");
is(scalar(() = header_of($seen, 'x-api-key')), 1, 'exactly one x-api-key');
ok(!defined header_of($seen, 'authorization'), 'no Authorization upstream');
is(header_of($seen, 'anthropic-version'), '2023-06-01',
   'other client headers pass');
is(header_of($seen, 'host'), '127.0.0.1:' . $stack->{mock_port},
   'Host is the account base URL host');
unlike(join("\n", map { "@$_" } @{ $seen->{headers} }), qr/\Q$key->{key}\E/,
       'client key never reaches the upstream');

# Bearer works too, and the /api and /claude prefixes map to /v1.
for my $path ('/api/v1/messages', '/claude/v1/messages?beta=true') {
    $res = $stack->gateway('POST', $path,
                           { authorization => "Bearer $key->{key}" }, $body);
    is($res->{status}, 200, "$path with Bearer: 200");
    $seen = last_request();
    is($seen->{path}, '/v1/messages', "$path: upstream path /v1/messages");
    ok(!defined header_of($seen, 'authorization'),
       "$path: client Authorization dropped");
}
is(last_request()->{query}, 'beta=true', 'query string passed on');

# Streaming: SSE arrives intact, event by event.
$res = $stack->gateway('POST', '/v1/messages', { %$auth, 'x-mock' => 'events=5' },
                       { %$body, stream => JSON::PP::true });
is($res->{status}, 200, 'stream: 200');
like($res->{headers}{'content-type'}, qr{^text/event-stream},
     'stream: text/event-stream');
my @events = $res->{content} =~ /^event: (\w+)$/mg;
is_deeply([ grep { $_ ne 'ping' } @events ],
          [ 'message_start', 'content_block_start',
            ('content_block_delta') x 5,
            'content_block_stop', 'message_delta', 'message_stop' ],
          'stream: every event in order');

# count_tokens and models.
$res = $stack->gateway('POST', '/v1/messages/count_tokens', $auth, $body);
is($res->{status}, 200, 'count_tokens: 200');
is($res->{json}{input_tokens}, 12, 'count_tokens answer');
$res = $stack->gateway('GET', '/v1/models', $auth);
is($res->{status}, 200, 'models: 200');
ok(@{ $res->{json}{data} || [] }, 'models listed');

# Rejections, each in its status and shape.
is_error($stack->gateway('POST', '/v1/messages', {}, $body), 401,
         'authentication_error', 'missing key');
is_error($stack->gateway('POST', '/v1/messages',
                         { 'x-api-key' => 'sk-ant-not-ours' }, $body),
         401, 'authentication_error', 'malformed key');
is_error($stack->gateway('POST', '/v1/messages',
                         { 'x-api-key' => 'cr_' . ('0' x 64) }, $body),
         401, 'authentication_error', 'unknown key');
my $in_url = $stack->make_key;
is_error($stack->gateway('POST', "/v1/messages?key=$in_url->{key}", {},
                         $body),
         401, 'authentication_error', 'key in the query string ignored');

my $gemini_only = $stack->make_key(permissions => ['gemini']);
is_error($stack->gateway('POST', '/v1/messages',
                         { 'x-api-key' => $gemini_only->{key} }, $body),
         403, 'permission_error', 'wrong platform');

my $all = $stack->make_key(permissions => ['all']);
is($stack->gateway('POST', '/v1/messages', { 'x-api-key' => $all->{key} },
                   $body)->{status}, 200, 'permission all covers claude');

my $cli_only = $stack->make_key(allowedClients => ['^claude-cli/']);
is_error($stack->gateway('POST', '/v1/messages',
                         { 'x-api-key' => $cli_only->{key},
                           'user-agent' => 'curl/8.0' }, $body),
         403, 'permission_error', 'blocked client');
is($stack->gateway('POST', '/v1/messages',
                   { 'x-api-key' => $cli_only->{key},
                     'user-agent' => 'claude-cli/2.0.1 (external, cli)' },
                   $body)->{status}, 200, 'allowed client passes');

my $no_opus = $stack->make_key(blockedModels => ['claude-opus-4-1']);
is_error($stack->gateway('POST', '/v1/messages',
                         { 'x-api-key' => $no_opus->{key} },
                         { %$body, model => 'claude-opus-4-1' }),
         403, 'permission_error', 'blacklisted model');
# what the upstream serves as the same model is blocked too (issue 11)
for my $model ('claude-opus-4-1-20250805', 'claude-opus-4-1-latest',
               'Claude-Opus-4-1', 'claude-opus-4-1 ',
               'us.anthropic.claude-opus-4-1-20250805-v1:0',
               'anthropic/claude-opus-4-1') {
    is_error($stack->gateway('POST', '/v1/messages',
                             { 'x-api-key' => $no_opus->{key} },
                             { %$body, model => $model }),
             403, 'permission_error', "blacklisted model as '$model'");
}
my $no_family = $stack->make_key(blockedModels => ['claude-opus*']);
is_error($stack->gateway('POST', '/v1/messages',
                         { 'x-api-key' => $no_family->{key} },
                         { %$body, model => 'claude-opus-4-20250514' }),
         403, 'permission_error', 'a family rule blocks its models');
is($stack->gateway('POST', '/v1/messages',
                   { 'x-api-key' => $no_family->{key} }, $body)->{status},
   200, '... and no others');
is($stack->gateway('POST', '/v1/messages', { 'x-api-key' => $no_opus->{key} },
                   $body)->{status}, 200, 'other models pass');

is_error($stack->gateway('POST', '/v1/messages', $auth,
                         { %$body, padding => 'x' x 70000 }),
         413, 'request_too_large', 'body over quotalane_body_limit');
is_error($stack->gateway('POST', '/v1/messages', $auth, '{"model": '),
         400, 'invalid_request_error', 'malformed JSON');

my $expired = $stack->make_key(expiresAt => '2020-01-01T00:00:00Z');
is_error($stack->gateway('POST', '/v1/messages',
                         { 'x-api-key' => $expired->{key} }, $body),
         401, 'authentication_error', 'expired key');

# Disabled through admind: refused within the cache TTL (1s here).
my $victim = $stack->make_key;
is($stack->gateway('POST', '/v1/messages', { 'x-api-key' => $victim->{key} },
                   $body)->{status}, 200, 'key works before disabling');
$res = $stack->admin('PATCH', "/api/v1/api-keys/$victim->{id}",
                     { status => 'disabled' });
is($res->{status}, 200, 'key disabled through admind');
select(undef, undef, undef, 1.5);
is_error($stack->gateway('POST', '/v1/messages',
                         { 'x-api-key' => $victim->{key} }, $body),
         401, 'authentication_error', 'disabled key after the TTL');

# A deleted key stops too.
$res = $stack->admin('DELETE', "/api/v1/api-keys/$all->{id}");
ok($res->{status} == 200 || $res->{status} == 204, 'key deleted');
select(undef, undef, undef, 1.5);
is($stack->gateway('POST', '/v1/messages', { 'x-api-key' => $all->{key} },
                   $body)->{status}, 401, 'deleted key refused');

# OAuth account: bearer token upstream, oauth beta merged into the client's.
$stack->admin('PATCH', "/api/v1/accounts/$console->{id}",
              { schedulable => JSON::PP::false });
my $token = 'sk-ant-oat01-' . QL::Stack::random_hex(8);
$stack->make_account(name => 'official-1', type => 'claude-official',
                     accessToken => $token);
$res = $stack->gateway('POST', '/v1/messages',
                       { %$auth, 'anthropic-beta' => 'prompt-caching-2024-07-31' },
                       $body);
is($res->{status}, 200, 'OAuth account: 200');
$seen = last_request();
is(header_of($seen, 'authorization'), "Bearer $token",
   'upstream saw the OAuth bearer token');
ok(!defined header_of($seen, 'x-api-key'), 'no x-api-key upstream');
is(header_of($seen, 'anthropic-beta'),
   'prompt-caching-2024-07-31,oauth-2025-04-20',
   "oauth beta merged into the client's betas");

# No schedulable account left: 529 overloaded.
my @accounts = @{ $stack->admin('GET', '/api/v1/accounts')->{json}{accounts} };
$stack->admin('PATCH', "/api/v1/accounts/$_->{id}",
              { schedulable => JSON::PP::false }) for @accounts;
is_error($stack->gateway('POST', '/v1/messages', $auth, $body), 529,
         'overloaded_error', 'no schedulable account');

# Secret variables never reach the access log.
open my $log, '<', $stack->dir . '/log/nginx-access.log' or die $!;
my $access = do { local $/; <$log> };
close $log;
unlike($access, qr/\Q$secret\E|\Q$token\E|\Q$key->{key}\E/,
       'no key or credential in the access log');
like($access, qr/key=\Q$key->{id}\E /, 'access log names the key id');

$stack->finish;
