#!/usr/bin/perl
# admind's Redis hot state (proto/redis_layout.md): the exact key and
# account records and sets written after each commit, credentials sealed
# to their account id, the module's runtime fields left alone, users'
# status folded into their keys, deletes, and the resync that repairs a
# flushed or restarted Redis and sweeps records that MySQL no longer has.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256 sha256_hex);
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);
my $P = 'ql:{main}:';

sub api { $stack->admin(@_) }

# ---- a binary-safe Redis client: redis-cli mangles newlines and bytes ----

sub _read_exact {
    my ($s, $n) = @_;
    my $buf = '';
    while (length($buf) < $n) {
        my $got = read($s, $buf, $n - length($buf), length($buf));
        die "redis: connection closed" unless $got;
    }
    return $buf;
}

sub _reply {
    my ($s) = @_;
    my $line = <$s>;
    die "redis: no reply" unless defined $line;
    $line =~ s/\r\n\z//;
    my $type = substr($line, 0, 1, '');
    return $line if $type eq '+';
    die "redis: $line\n" if $type eq '-';
    return $line + 0 if $type eq ':';
    if ($type eq '$') {
        return undef if $line < 0;
        return substr(_read_exact($s, $line + 2), 0, $line);
    }
    if ($type eq '*') {
        return undef if $line < 0;
        return [ map { _reply($s) } 1 .. $line ];
    }
    die "redis: bad reply type $type";
}

sub _send {
    my ($s, @cmd) = @_;
    print $s '*' . @cmd . "\r\n"
        . join('', map { '$' . length($_) . "\r\n$_\r\n" } @cmd);
    return _reply($s);
}

sub redis {
    my (@cmd) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $stack->{redis_port},
                                  Proto => 'tcp', Timeout => 5)
        or die "redis connect: $!";
    binmode $s;
    _send($s, 'AUTH', $stack->redis_user('admin'),
          $stack->redis_password('admin'));
    my $r = _send($s, @cmd);
    close $s;
    return $r;
}

sub hgetall {
    my $list = redis('HGETALL', $_[0]);
    return { @$list };
}

sub smembers { [ sort { $a <=> $b } @{ redis('SMEMBERS', $_[0]) } ] }

# ---- opening an envelope as the module would (AES-256-GCM, AAD = id) ----

my $master_hex = do {
    open my $fh, '<', $stack->{master_key_file} or die $!;
    local $/;
    my $k = <$fh>;
    $k =~ s/\s+\z//;
    $k;
};

my $OPEN = <<'PY';
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = bytes.fromhex(sys.argv[1])
env = bytes.fromhex(sys.stdin.read().strip())
try:
    sys.stdout.write(AESGCM(key).decrypt(env[5:17], env[17:],
                                         sys.argv[2].encode()).decode())
except Exception:
    sys.stdout.write("<not authentic>")
PY

sub open_envelope {
    my ($env, $aad) = @_;
    my $file = $stack->dir . '/tmp/env.hex';
    open my $fh, '>', $file or die $!;
    print $fh unpack('H*', $env);
    close $fh;
    my $out = `python3 -c '$OPEN' $master_hex $aad < $file 2>&1`;
    return $out;
}

# ---- fixtures ----

my $port = $stack->mock_port;    # the one loopback port admind allows

my $alice = api('POST', '/api/v1/users', { username => 'alice',
                password => 'alice-password' })->{json};
my $group = api('POST', '/api/v1/account-groups', { name => 'pool-1',
                platform => 'claude' })->{json};

my $secret_a = 'sk-ant-api03-' . ('A1b2C3' x 6) . '-end1';
my $res = api('POST', '/api/v1/accounts', { name => 'acct-a',
    type => 'claude-console', apiKey => $secret_a,
    baseUrl => "http://127.0.0.1:$port/proxy/", priority => 10,
    concurrencyLimit => 4, groupId => $group->{id} });
is($res->{status}, 201, 'account a created');
my $a = $res->{json};

my $secret_b = 'sk-ant-oat01-' . ('Zz9Yy8' x 6);
$res = api('POST', '/api/v1/accounts', { name => 'acct-b',
    type => 'claude-official', accessToken => $secret_b,
    baseUrl => "https://localhost:$port", schedulable => JSON::PP::false,
    status => 'disabled' });
is($res->{status}, 201, 'account b created');
my $b = $res->{json};

$res = api('POST', '/api/v1/api-keys', { name => 'alice-cli',
    userId => $alice->{id}, permissions => ['claude', 'openai'],
    allowedClients => ['^claude-cli/', 'curl'],
    blockedModels => ['claude-3-opus', 'claude-2'], concurrencyLimit => 3,
    expiresAt => '2030-01-31T12:00:00Z', groupId => $group->{id} });
is($res->{status}, 201, 'key created');
my $key = $res->{json};
my $digest = sha256_hex($key->{key});

# ---- the key record ----

is_deeply(hgetall("${P}key:$digest"), {
    id                => $key->{id},
    user_id           => $alice->{id},
    status            => 'active',
    expires_at        => '1896091200',
    permissions       => 'claude,openai',
    allowed_clients   => "^claude-cli/\ncurl",
    blocked_models    => "claude-3-opus\nclaude-2",
    concurrency_limit => '3',
    account_id        => '0',
    group_id          => $group->{id},
    rate_window       => '0',
    rate_requests     => '0',
    rate_tokens       => '0',
    rate_cost         => '0',
    daily_cost_limit  => '0',
    weekly_cost_limit => '0',
    weekly_reset      => '0',
    total_cost_limit  => '0',
}, 'key:<sha256> has exactly the contract fields');

$res = api('POST', '/api/v1/api-keys', { name => 'limited',
    userId => $alice->{id}, rateWindowSeconds => 30,
    rateLimitRequests => 100, rateLimitTokens => '2000000',
    rateLimitCostMicros => '3000000', dailyCostLimitMicros => '4000000',
    weeklyCostLimitMicros => 5000000, weeklyResetHours => 7,
    totalCostLimitMicros => '9007199254740993' });
is($res->{status}, 201, 'key with limits');
my $limited = hgetall("${P}key:" . sha256_hex($res->{json}{key}));
is_deeply({ map { $_ => $limited->{$_} } qw(rate_window rate_requests
            rate_tokens rate_cost daily_cost_limit weekly_cost_limit
            weekly_reset total_cost_limit) },
          { rate_window => '30', rate_requests => '100',
            rate_tokens => '2000000', rate_cost => '3000000',
            daily_cost_limit => '4000000', weekly_cost_limit => '5000000',
            weekly_reset => '7', total_cost_limit => '9007199254740993' },
          'limits published (int64 exact beyond 2^53)');
api('DELETE', "/api/v1/api-keys/$res->{json}{id}");

$res = api('POST', '/api/v1/api-keys', { name => 'plain',
                                          userId => $alice->{id} });
my $plain = $res->{json};
my $plain_digest = sha256_hex($plain->{key});
is_deeply(hgetall("${P}key:$plain_digest"), {
    id => $plain->{id}, user_id => $alice->{id}, status => 'active',
    expires_at => '0', permissions => 'all', allowed_clients => '',
    blocked_models => '', concurrency_limit => '0', account_id => '0',
    group_id => '0', rate_window => '0', rate_requests => '0',
    rate_tokens => '0', rate_cost => '0', daily_cost_limit => '0',
    weekly_cost_limit => '0', weekly_reset => '0', total_cost_limit => '0',
}, 'defaults: never expires, all platforms, no restrictions');

# ---- the account records and sets ----

my $rec = hgetall("${P}account:$a->{id}");
my $cred = delete $rec->{cred};
my $version = delete $rec->{cred_version};
is_deeply($rec, {
    id => $a->{id}, name => 'acct-a', type => 'claude-console',
    platform => 'claude', status => 'active', schedulable => '1',
    priority => '10', concurrency_limit => '4', rpm_limit => '0',
    tpm_limit => '0', scheme => 'http',
    host => "127.0.0.1:$port", addr => "127.0.0.1:$port",
    path_prefix => '/proxy', auth => 'x-api-key',
    pools => ',claude,', endpoints => '', models => '', model_map => '',
    chatgpt_account_id => '', project_id => '', azure_deployment => '',
    azure_api_version => '', aws_region => '', aws_access_key_id => '',
}, 'account:<id> has the contract fields');
like($version, qr/^[0-9a-f]{16}$/, 'cred_version');
is(length $cred, length($secret_a) + 33, 'cred is an envelope');
is(ord(substr($cred, 0, 1)), 1, 'envelope version 1');
is(substr($cred, 1, 4), substr(sha256(pack('H*', $master_hex)), 0, 4),
   'envelope names the master key');
is(index($cred, $secret_a), -1, 'the credential is not in Redis in clear');
is(open_envelope($cred, $a->{id}), $secret_a,
   'cred opens with AAD = the account id');
is(open_envelope($cred, $b->{id}), '<not authentic>',
   'and with no other id');

$rec = hgetall("${P}account:$b->{id}");
is($rec->{auth}, 'bearer', 'OAuth account: bearer');
is($rec->{scheme}, 'https', 'https');
is($rec->{host}, "localhost:$port", 'host is the Host header');
like($rec->{addr}, qr/^(127\.0\.0\.1|\[::1\]):$port$/, 'addr resolved');
is($rec->{path_prefix}, '', 'no path prefix');
is($rec->{schedulable}, '0', 'schedulable 0');
is($rec->{status}, 'disabled', 'status disabled');
is(open_envelope($rec->{cred}, $b->{id}), $secret_b, 'access token sealed');

is_deeply(smembers("${P}accounts:claude"), [ $a->{id}, $b->{id} ],
          'accounts:claude holds both accounts');
is_deeply(smembers("${P}group:$group->{id}:accounts"), [ $a->{id} ],
          'group set holds its account');

# ---- updates keep the module's runtime fields ----

redis('HSET', "${P}account:$a->{id}", 'last_used_ms', '1234',
      'cooldown_until_ms', '5678');
is(api('PATCH', "/api/v1/accounts/$a->{id}", { priority => 5 })->{status},
   200, 'patch account');
$rec = hgetall("${P}account:$a->{id}");
is($rec->{priority}, '5', 'priority published');
is($rec->{last_used_ms}, '1234', 'last_used_ms kept');
is($rec->{cooldown_until_ms}, '5678', 'cooldown_until_ms kept');
is($rec->{cred_version}, $version, 'cred_version unchanged without a new '
   . 'credential');

my $secret_a2 = 'sk-ant-api03-' . ('Q9w8E7' x 6) . '-new2';
api('PATCH', "/api/v1/accounts/$a->{id}", { apiKey => $secret_a2 });
$rec = hgetall("${P}account:$a->{id}");
isnt($rec->{cred_version}, $version, 'cred_version changes with the '
     . 'credential');
is(open_envelope($rec->{cred}, $a->{id}), $secret_a2, 'new credential');
$version = $rec->{cred_version};

api('PATCH', "/api/v1/accounts/$a->{id}", { groupId => undef });
is_deeply(smembers("${P}group:$group->{id}:accounts"), [],
          'leaving the group leaves the set');
api('PATCH', "/api/v1/accounts/$a->{id}", { groupId => $group->{id} });
is_deeply(smembers("${P}group:$group->{id}:accounts"), [ $a->{id} ],
          'and joining enters it');

# ---- a user's status is folded into their keys ----

api('PATCH', "/api/v1/api-keys/$plain->{id}", { status => 'disabled' });
is(redis('HGET', "${P}key:$plain_digest", 'status'), 'disabled',
   'a disabled key');
api('PATCH', "/api/v1/users/$alice->{id}", { status => 'disabled' });
is(redis('HGET', "${P}key:$digest", 'status'), 'disabled',
   'disabling the user disables their keys');
is($stack->sql_root("SELECT status FROM api_keys WHERE id=$key->{id}"),
   "active\n", 'the key keeps its own status in MySQL');
api('PATCH', "/api/v1/users/$alice->{id}", { status => 'active' });
is(redis('HGET', "${P}key:$digest", 'status'), 'active',
   'enabling the user restores each key\'s status');
is(redis('HGET', "${P}key:$plain_digest", 'status'), 'disabled',
   'a key disabled on its own stays disabled');

# ---- bindings follow deletes ----

$res = api('POST', '/api/v1/api-keys', { name => 'bound',
           userId => $alice->{id}, accountId => $b->{id} });
my $bound_digest = sha256_hex($res->{json}{key});
is(redis('HGET', "${P}key:$bound_digest", 'account_id'), $b->{id},
   'account_id published');
is(api('DELETE', "/api/v1/accounts/$b->{id}")->{status}, 204,
   'delete account b');
is(redis('EXISTS', "${P}account:$b->{id}"), 0, 'account record deleted');
is_deeply(smembers("${P}accounts:claude"), [ $a->{id} ],
          'removed from accounts:claude');
is(redis('HGET', "${P}key:$bound_digest", 'account_id'), '0',
   'a key bound to it is unbound');

is(api('DELETE', "/api/v1/api-keys/$plain->{id}")->{status}, 204,
   'delete a key');
is(redis('EXISTS', "${P}key:$plain_digest"), 0, 'key record deleted');

# ---- resync: a flushed Redis is repaired without anyone's help ----

my %before = (key => hgetall("${P}key:$digest"),
              account => hgetall("${P}account:$a->{id}"));
delete $before{account}{$_} for qw(last_used_ms cooldown_until_ms);

redis('FLUSHALL');
ok($stack->eventually(10, sub { redis('EXISTS', "${P}synced") }),
   'FLUSHALL repaired by the background resync');
is_deeply(hgetall("${P}key:$digest"), $before{key}, 'key record is back');
is_deeply(hgetall("${P}account:$a->{id}"), $before{account},
          'account record is back, cred_version unchanged');
is_deeply(smembers("${P}accounts:claude"), [ $a->{id} ], 'pool set back');
is_deeply(smembers("${P}group:$group->{id}:accounts"), [ $a->{id} ],
          'group set back');
like(redis('GET', "${P}synced"), qr/^\d{10}$/, 'synced holds a timestamp');

# ---- resync sweeps records MySQL no longer has, and only those ----

my $ghost = '0' x 64;
redis('HSET', "${P}key:$ghost", 'id', '999', 'status', 'active');
redis('HSET', "${P}account:999", 'id', '999', 'status', 'active');
redis('SADD', "${P}group:999:accounts", '999');
redis('SADD', "${P}accounts:claude", '999');
redis('SET', "${P}account:$a->{id}:inflight", 'module-owned');
redis('SET', 'other:app:key', 'not ours');
redis('DEL', "${P}synced");
ok($stack->eventually(10, sub { redis('EXISTS', "${P}synced") }), 'resync ran');
is(redis('EXISTS', "${P}key:$ghost"), 0, 'stale key record deleted');
is(redis('EXISTS', "${P}account:999"), 0, 'stale account record deleted');
is(redis('EXISTS', "${P}group:999:accounts"), 0, 'stale group set deleted');
is_deeply(smembers("${P}accounts:claude"), [ $a->{id} ],
          'pool set rebuilt exactly');
is(redis('GET', "${P}account:$a->{id}:inflight"), 'module-owned',
   'keys of other shapes are left alone');
is(redis('GET', 'other:app:key'), 'not ours', 'keys without the prefix too');

# ---- a write while Redis is down still succeeds, and is repaired ----

$stack->stop_redis;
$res = api('PATCH', "/api/v1/api-keys/$key->{id}", { concurrencyLimit => 7 });
is($res->{status}, 200, 'the API call succeeds while Redis is down');
$stack->restart_redis;
ok($stack->eventually(15, sub { eval { redis('EXISTS', "${P}synced") } }),
   'restarted (empty) Redis repaired by the background resync');
is(redis('HGET', "${P}key:$digest", 'concurrency_limit'), '7',
   'with the change made while it was down');

# ---- restarting admind rebuilds before it serves ----

is($stack->stop_admind, 0, 'admind stops cleanly');
redis('FLUSHALL');
$stack->_spawn_admind;
is_deeply(hgetall("${P}key:$digest"),
          { %{ $before{key} }, concurrency_limit => '7' },
          'admind rebuilt the key record at startup');
is(redis('HGET', "${P}account:$a->{id}", 'cred_version'), $version,
   'and the account record');

# ---- deleting a user deletes their keys' records ----

is(api('DELETE', "/api/v1/users/$alice->{id}")->{status}, 204,
   'delete user alice');
is(redis('EXISTS', "${P}key:$digest"), 0, 'her key record is gone');
is(redis('EXISTS', "${P}key:$bound_digest"), 0, 'all of them');

# ---- deleting a group deletes its set ----

is(api('DELETE', "/api/v1/account-groups/$group->{id}")->{status}, 204,
   'delete group');
is(redis('EXISTS', "${P}group:$group->{id}:accounts"), 0, 'set deleted');

open my $log, '<', $stack->dir . '/log/admind.log' or die $!;
my @lines = grep { /"msg":"hot state resynced"/ } <$log>;
close $log;
ok(scalar(grep { /"reason":"startup"/ } @lines) >= 2,
   'resync at each startup logged');
ok(scalar(grep { /"reason":"missing"/ } @lines) >= 2,
   'resync after each flush logged');
like($lines[-1], qr/"keys":\d+,"accounts":\d+/, 'with counts');

$stack->finish;
