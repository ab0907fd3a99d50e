#!/usr/bin/perl
# The life of an OAuth account under traffic (issue 14): a token refused
# by the vendor fails over to another account with no client error and
# is refreshed at once; a refresh while a stream runs breaks nothing and
# the very next request carries the new token; two admind instances due
# to refresh the same account refresh it once and both show the result.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use POSIX qw(strftime);
use QL::Stack;

my $stack = QL::Stack->new(admind_conf => join("\n",
    'oauth_claude_token_url = @MOCK_URL@/v1/oauth/token',
    'oauth_claude_client_id = test-client',
    'oauth_refresh_check_seconds = 1',
    'oauth_refresh_before_seconds = 600'));
my $mock = $stack->mock_url;
my $P = 'ql:{main}:';

sub oauth { $stack->mock_oauth(@_) }

sub in_seconds { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + $_[0])) }

sub account { $stack->admin('GET', "/api/v1/accounts/$_[0]")->{json} }

sub message {
    my ($key, $stream, %h) = @_;
    return $stack->message($key, stream => $stream, headers => \%h);
}

oauth({ client_id => 'test-client', expires_in => 7200,
        refresh_tokens => [ 'rt-a', 'rt-b' ] });

# ---- a refused token: failover, no client error, refreshed at once ----

my $a = $stack->make_account(type => 'claude-official', priority => 1,
    accessToken => 'at-a', refreshToken => 'rt-a',
    accessTokenExpiresAt => in_seconds(7200));
my $b = $stack->make_account(type => 'claude-official', priority => 2,
    accessToken => 'at-b', refreshToken => 'rt-b',
    accessTokenExpiresAt => in_seconds(7200));
my $key = $stack->make_key;

$stack->mock_clear;
$stack->request('POST', "$mock/__mock/rules", {},
    { match => { header => 'authorization', value => 'Bearer at-a' },
      'x-mock' => 'status=401' });
my $r = message($key, 1);
is($r->{status}, 200, 'a refused token: the client gets its answer');
like($r->{content}, qr/message_stop/, 'the whole stream');
is_deeply([ map { $_->{credential} } @{ $stack->mock_requests } ],
          [ 'at-a', 'at-b' ], 'tried on the refusing account, then another');
ok($stack->eventually(5, sub {
       (account($a->{id})->{credentialHint} // '') ne ''
       && !grep { $_ eq 'rt-a' } @{ oauth()->{refresh_tokens} } }),
   'the refused account is refreshed at once');
ok($stack->eventually(5, sub {
       !defined $stack->redis('HGET', "${P}account:$a->{id}",
                              'cooldown_until_ms') }),
   'and its cooldown lifted');
is($stack->redis('SCARD', "${P}oauth:refused"), 0,
   'nothing left to refresh');
$stack->request('DELETE', "$mock/__mock/rules");
$stack->mock_clear;
message($key, 0);
like($stack->mock_requests->[0]{credential}, qr/^oauth-access-\d+$/,
     'the preferred account serves again, with its new token');

# ---- a refresh while a stream runs ----

my $out = $stack->dir . '/stream.out';
my $pid = fork;
die "fork: $!" unless defined $pid;
if ($pid == 0) {
    my $res = message($key, 1, 'x-mock' => 'token_ms=150;events=12');
    open my $fh, '>', $out or die $!;
    print $fh "$res->{status}\n$res->{content}";
    close $fh;
    exit 0;
}
ok($stack->eventually(5, sub {
       grep { $_->{stream} } @{ $stack->mock_requests } }),
   'a stream is running');
my $before = account($a->{id});
$r = $stack->admin('POST', "/api/v1/accounts/$a->{id}/refresh");
is($r->{status}, 200, 'the account is refreshed meanwhile');
my $fresh = $r->{json}{credentialHint};
$stack->mock_clear;
message($key, 0);
my $new = $stack->mock_requests->[0]{credential};
like($new, qr/^oauth-access-\d+$/, 'the next request: a new token');
isnt($new, $before->{credentialHint}, 'not the one before the refresh');
waitpid($pid, 0);
open my $fh, '<', $out or die $!;
my ($status, $body) = split /\n/, do { local $/; <$fh> }, 2;
close $fh;
is($status, 200, 'the running stream was not disturbed');
like($body, qr/message_stop/, 'it ran to its end');
unlike($body, qr/event: error/, 'without an error event');

# ---- two admind instances, one refresh ----

my $url2 = $stack->start_another_admind;
my $calls = oauth()->{calls};
oauth({ refresh_tokens => [ 'rt-race' ], delay_ms => 800 });
my $race = $stack->make_account(type => 'claude-official',
    accessToken => 'at-race', refreshToken => 'rt-race',
    accessTokenExpiresAt => in_seconds(60));
ok($stack->eventually(15, sub {
       !grep { $_ eq 'rt-race' } @{ oauth()->{refresh_tokens} } }),
   'the account due is refreshed');
sleep 3;
is(oauth()->{calls}, $calls + 1,
   'by one admind only: one call to the token endpoint');
oauth({ delay_ms => 0 });
my $seen1 = account($race->{id});
my $seen2 = $stack->request('GET', "$url2/api/v1/accounts/$race->{id}",
    { authorization => 'Bearer ' . $stack->admin_token })->{json};
is($seen2->{accessTokenExpiresAt}, $seen1->{accessTokenExpiresAt},
   'both admind show the new expiry');
is($seen2->{credentialHint}, $seen1->{credentialHint},
   'and the same token');
is($seen1->{status}, 'active', 'the account stays active');

$stack->finish;
