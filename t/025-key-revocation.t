#!/usr/bin/perl
# Revoking a key takes effect on its next request (issue 11, item 8 e),
# even with a long L1 key cache: the select script reads the key's status
# in the round trip every admitted request makes anyway.  Disabling,
# deleting, rotating, expiring the key and disabling its owner are each
# measured as the time from admind's answer to the first refused request.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use POSIX qw(strftime);
use QL::Stack;

# a cache TTL far longer than the test: only the new check can refuse
my $stack = QL::Stack->new(key_cache_ttl => '300s');

my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };
$stack->make_account(name => 'console-1');

sub call {
    my ($key) = @_;
    return $stack->gateway('POST', '/v1/messages',
        { 'x-api-key' => $key->{key}, 'anthropic-version' => '2023-06-01' },
        $body);
}

# Cache the key (two requests, so every worker may have seen it), revoke
# it with $change, then time the first refusal.
sub revoked_at_once {
    my ($name, $key, $change) = @_;
    is(call($key)->{status}, 200, "$name: 200 before") for 1 .. 2;

    my $res = $change->();
    ok($res->{status} >= 200 && $res->{status} < 300,
       "$name: admind took it ($res->{status})");
    my $t0 = time;
    $res = call($key);
    my $ms = int((time - $t0) * 1000);
    is($res->{status}, 401, "$name: the next request is 401");
    is($res->{json}{error}{type}, 'authentication_error',
       "$name: authentication_error");
    ok($ms < 1000, "$name: refused within ${ms} ms of admind's answer");
    is(call($key)->{status}, 401, "$name: and stays refused");
}


my $k1 = $stack->make_key(permissions => ['claude']);
revoked_at_once('disabled key', $k1, sub {
    $stack->admin('PATCH', "/api/v1/api-keys/$k1->{id}",
                  { status => 'disabled' });
});

# enabled again: back after the negative cache entry (2 s) runs out
$stack->admin('PATCH', "/api/v1/api-keys/$k1->{id}", { status => 'active' });
sleep 3;
is(call($k1)->{status}, 200, 'enabled again: 200 (after negative_ttl)');

my $k2 = $stack->make_key(permissions => ['claude']);
revoked_at_once('deleted key', $k2, sub {
    $stack->admin('DELETE', "/api/v1/api-keys/$k2->{id}");
});

my $owner = $stack->make_user;
my $k3 = $stack->make_key(permissions => ['claude'], userId => $owner->{id});
revoked_at_once('disabled owner', $k3, sub {
    $stack->admin('PATCH', "/api/v1/users/$owner->{id}",
                  { status => 'disabled' });
});

my $k5 = $stack->make_key(permissions => ['claude']);
revoked_at_once('rotated key', $k5, sub {
    my $res = $stack->admin('POST', "/api/v1/api-keys/$k5->{id}/rotate");
    is(call($res->{json})->{status}, 200, 'rotated key: the new one works')
        if $res->{json}{key};
    return $res;
});

my $k4 = $stack->make_key(permissions => ['claude']);
revoked_at_once('expired key', $k4, sub {
    my $soon = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + 2));
    my $res = $stack->admin('PATCH', "/api/v1/api-keys/$k4->{id}",
                            { expiresAt => $soon });
    sleep 3;
    return $res;
});

$stack->finish;
