#!/usr/bin/perl
# What the gateway sees happen to an account reaches webhooks (issue 14):
# a 429 that starts a cooldown (account.rate_limited), a refused
# credential (account.auth_failed), a usage window the vendor calls
# exhausted (account.quota_exhausted), a circuit that opens
# (account.error) and closes again (account.recovered); one event per
# change, not one per answer; signed like every generic webhook.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use QL::Stack;

my $stack = QL::Stack->new(admind_conf => join("\n",
    'webhook_check_ms = 200'));
my $mock = $stack->mock_url;
my $P = 'ql:{main}:';
my $secret = 'whsec-gateway';

sub hooks {
    my $res = $stack->request('GET', "$mock/__mock/hooks?name=ops");
    return map { { %$_, event => decode_json($_->{body}) } }
           @{ $res->{json}{hooks} || [] };
}

sub events_of {
    my ($name, $id) = @_;
    return grep { $_->{event}{event} eq $name
                  && ($_->{event}{accountId} // '') eq $id } hooks();
}

sub message { $stack->message($_[0]) }

sub rule {
    my ($token, $xmock, $times) = @_;
    $stack->request('POST', "$mock/__mock/rules", {},
        { match => { header => 'authorization', value => "Bearer $token" },
          'x-mock' => $xmock, times => $times });
}

my $hook = $stack->admin('POST', '/api/v1/webhooks', {
    name => 'ops', format => 'generic', url => "$mock/__hook/ops",
    secret => $secret });
is($hook->{status}, 201, 'a generic webhook') or diag($hook->{content});

my $a = $stack->make_account(type => 'claude-official', name => 'sub-a',
                             priority => 1, accessToken => 'at-a');
my $b = $stack->make_account(type => 'claude-official', name => 'sub-b',
                             priority => 2, accessToken => 'at-b');
my $key = $stack->make_key;

# ---- a 429: one event for the cooldown it starts ----

rule('at-a', 'status=429;retry_after=600', 3);
is(message($key)->{status}, 200, 'a 429 fails over: the client is served');
ok($stack->eventually(10, sub { events_of('account.rate_limited', $a->{id}) }),
   'account.rate_limited reached the webhook');
my ($e) = events_of('account.rate_limited', $a->{id});
is($e->{event}{accountName}, 'sub-a', '... naming the account');
is($e->{event}{details}{status}, 429, "... with the vendor's status");
ok($e->{event}{details}{until}, '... and when the cooldown ends');
my $t = $e->{headers}{'x-quotalane-timestamp'};
is($e->{headers}{'x-quotalane-signature'},
   'sha256=' . hmac_sha256_hex("$t.$e->{body}", $secret),
   '... signed with the webhook secret');

# while it cools down no request goes to it: no second event
$stack->redis('HDEL', "${P}account:$a->{id}", 'cooldown_until_ms');
$stack->redis('HSET', "${P}account:$a->{id}", 'cooldown_until_ms',
              int(time * 1000) + 600_000);
message($key) for 1 .. 2;
sleep 1;
is(scalar(events_of('account.rate_limited', $a->{id})), 1,
   'one event per cooldown, not per answer');
$stack->admin('POST', "/api/v1/accounts/$a->{id}/reset");
$stack->request('DELETE', "$mock/__mock/rules");

# ---- a refused credential ----

rule('at-a', 'status=401', 1);
is(message($key)->{status}, 200, 'a 401 fails over too');
ok($stack->eventually(10, sub { events_of('account.auth_failed', $a->{id}) }),
   'account.auth_failed reached the webhook');
$stack->admin('POST', "/api/v1/accounts/$a->{id}/reset");

# ---- a usage window exhausted ----

my $reset = time + 7200;
rule('at-a', "h.anthropic-ratelimit-unified-7d-status=rejected;"
             . "h.anthropic-ratelimit-unified-7d-reset=$reset", 2);
message($key);
ok($stack->eventually(10, sub {
       events_of('account.quota_exhausted', $a->{id}) }),
   'account.quota_exhausted reached the webhook');
$stack->admin('POST', "/api/v1/accounts/$a->{id}/reset");

# ---- a circuit that opens, and closes again ----

$stack->redis('HSET', "${P}account:$b->{id}", 'health', 35);
rule('at-b', 'status=500', 1);
$stack->redis('HSET', "${P}account:$a->{id}", 'schedulable', 0);
message($key);
ok($stack->eventually(10, sub { events_of('account.error', $b->{id}) }),
   'an opened circuit: account.error');
$stack->redis('HSET', "${P}account:$a->{id}", 'schedulable', 1);

# past its open time a probe succeeds: recovered
$stack->redis('HSET', "${P}account:$b->{id}", 'circuit_until_ms', 0,
              'cooldown_until_ms', 0);
$stack->redis('HSET', "${P}account:$a->{id}", 'schedulable', 0);
is(message($key)->{status}, 200, 'the half-open probe succeeds');
ok($stack->eventually(10, sub { events_of('account.recovered', $b->{id}) }),
   'account.recovered reached the webhook');
$stack->redis('HSET', "${P}account:$a->{id}", 'schedulable', 1);

is($stack->redis('XLEN', "${P}events"), 5,
   'five changes, five stream entries');

$stack->finish;
