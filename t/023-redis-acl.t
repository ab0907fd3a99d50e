#!/usr/bin/perl
# Redis runs with the ACL users of conf/redis-acl.conf: nobody gets in
# without a password, the module's user runs only the commands it sends
# on the keys it uses (key records read only), admind's user only its
# own, and no password ever reaches a log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use Test::More;
use Time::HiRes qw(sleep time);
use QL::Stack;

my $stack = QL::Stack->new;
my $P = 'ql:{main}:';

my $account = $stack->make_account;
my $key = $stack->make_key;
my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };

sub post {
    return $stack->gateway('POST', '/v1/messages',
                           { 'x-api-key' => $key->{key} }, $body);
}

# ---- the whole path works under the ACL (and denies nothing) ----

is(post()->{status}, 200, 'a request through the gateway');
my $deadline = time + 20;
my $rows = 0;
while (time < $deadline) {
    $rows = $stack->sql_root("SELECT COUNT(*) FROM usage_records "
                             . "WHERE api_key_id = $key->{id}") + 0;
    last if $rows;
    sleep 0.1;
}
is($rows, 1, 'its usage record reached MySQL through admind');
is_deeply($stack->redis('ACL', 'LOG'), [],
          'the module and admind were denied nothing');

# ---- no password, no access ----

my $anon = $stack->redis_connect;
like(QL::Stack::resp_command($anon, 'PING'), qr/^NOAUTH/,
     'without AUTH: PING refused');
like(QL::Stack::resp_command($anon, 'HSET', "${P}key:" . ('0' x 64),
                             'id', '999'),
     qr/^NOAUTH/, 'without AUTH: no key record can be forged');
like(QL::Stack::resp_command($anon, 'AUTH', 'default', ''),
     qr/^WRONGPASS/, 'the default user is off');
like(QL::Stack::resp_command($anon, 'AUTH', 'quotalane-gateway', 'guess'),
     qr/^WRONGPASS/, 'a wrong password is refused');

# ---- the module's user ----

my $gw = $stack->redis_connect('gateway');
my $digest = "${P}key:" . sha256_hex($key->{key});
is($stack->redis('EXISTS', $digest), 1, 'the key record exists');

sub gw { QL::Stack::resp_command($gw, @_) }

is(ref gw('HMGET', $digest, 'id'), 'ARRAY', 'gateway: reads a key record');
like(gw('HSET', $digest, 'status', 'active'), qr/^NOPERM/,
     'gateway: cannot write a key record');
like(gw('HSET', "${P}key:" . ('0' x 64), 'id', '999'), qr/^NOPERM/,
     'gateway: cannot forge a key record');
like(gw('EVAL', "return redis.call('HSET', KEYS[1], 'id', '999')", 1,
        "${P}key:" . ('0' x 64)),
     qr/NOPERM|can't access/, 'gateway: nor from a script');
like(gw('EVAL', "return redis.call('HSET', '${P}key:' .. ARGV[1], "
        . "'id', '999')", 0, '0' x 64),
     qr/NOPERM|can't access/,
     'gateway: nor from a script that builds the key name');
like(gw('EVAL', "return redis.call('GET', 'other:key')", 0),
     qr/NOPERM|can't access/,
     'gateway: no key outside the prefix, even from a script');
like(gw('GET', 'other:key'), qr/^NOPERM/,
     'gateway: no key outside the prefix');
like(gw('XRANGE', "${P}usage:dead", '-', '+'), qr/^NOPERM/,
     'gateway: cannot read the dead letters');
like(gw('SADD', "${P}accounts:claude", '999'), qr/^NOPERM/,
     'gateway: cannot add an account to a pool');
like(gw('EXPIRE', "${P}accounts:claude", '1'), qr/^NOPERM/,
     'gateway: cannot make a pool expire');
like(gw('SET', "${P}synced", '1'), qr/^NOPERM/,
     'gateway: cannot fake the sync marker');
like(gw('HINCRBY', "${P}krate:1:1", 'req', '1'), qr/^\d+$/,
     'gateway: writes its runtime counters');
for my $cmd ([ 'FLUSHALL' ], [ 'FLUSHDB' ], [ 'CONFIG', 'GET', 'dir' ],
             [ 'KEYS', '*' ], [ 'SCRIPT', 'FLUSH' ], [ 'DEBUG', 'SLEEP', '0' ],
             [ 'ACL', 'LIST' ], [ 'SHUTDOWN' ], [ 'DEL', "${P}synced" ])
{
    like(gw(@$cmd), qr/^NOPERM/, "gateway: @$cmd refused");
}
like(gw('XADD', "${P}usage", '*', 'request_id', 'x'), qr/^\d+-\d+$/,
     'gateway: appends to the usage stream');

# ---- admind's user ----

my $ad = $stack->redis_connect('admind');
sub ad { QL::Stack::resp_command($ad, @_) }

is(ad('EXISTS', "${P}synced"), 1, 'admind: reads the hot state');
for my $cmd ([ 'FLUSHALL' ], [ 'CONFIG', 'GET', 'dir' ], [ 'KEYS', '*' ],
             [ 'GET', 'other:key' ], [ 'ACL', 'LIST' ],
             [ 'XGROUP', 'DESTROY', "${P}usage", 'admind' ])
{
    like(ad(@$cmd), qr/^NOPERM/, "admind: @$cmd refused");
}

# the denials above are in the ACL log; the check at the end is for the
# module's and admind's own traffic
$stack->redis('ACL', 'LOG', 'RESET');

# ---- a wrong password: the module fails closed and says why ----

my $pwfile = $stack->{redis_password_file}{gateway};
my $good = $stack->redis_password('gateway');
my $wrong = QL::Stack::random_hex(16);
QL::Stack::write_file($pwfile, "$wrong\n", 0600);
$stack->reload_nginx;

sub wait_status {
    my ($want) = @_;
    my $deadline = time + 20;
    my $st = 0;
    while (time < $deadline) {
        $st = post()->{status};
        return $st if $st == $want;
        sleep 0.2;
    }
    return $st;
}

# the L1 cache may answer for the key for its TTL; then Redis is needed
is(wait_status(503), 503, 'wrong gateway password: 503 (fail closed)');
ok(QL::Stack::file_has("$stack->{dir}/log/nginx-error.log",
                       qr/session set-up failed: WRONGPASS/),
   'the error log says the login failed');

QL::Stack::write_file($pwfile, "$good\n", 0600);
$stack->reload_nginx;
is(wait_status(200), 200, 'right password again after a reload: 200');

# the old workers' failed logins are in the ACL log too
sleep 1;
$stack->redis('ACL', 'LOG', 'RESET');

# ---- no password in any log ----

my @leaks;
for my $log (glob("$stack->{dir}/log/*")) {
    for my $role (qw(gateway admind admin)) {
        push @leaks, "$role in $log"
            if QL::Stack::file_has($log,
                   qr/\Q${\ $stack->redis_password($role) }\E/);
    }
    push @leaks, "wrong password in $log"
        if QL::Stack::file_has($log, qr/\Q$wrong\E/);
}
is_deeply(\@leaks, [], 'no Redis password in any log');

$stack->finish;
