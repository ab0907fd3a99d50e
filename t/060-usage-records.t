#!/usr/bin/perl
# Usage records from the real gateway to MySQL through admind's consumer
# of the usage stream: exact token counts and cost (conf/model_prices.json)
# for JSON and SSE answers, a client that hangs up mid-stream, records
# that cannot be stored (dead letters), records written before the
# consumer group existed, a Redis restart, 1,000 requests while MariaDB is
# down (exactly 1,000 rows afterwards), admind killed with SIGKILL in the
# middle of a batch (no loss, no duplicates), and the usage API with its
# user-role isolation.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use QL::Stack;

# a crashed consumer's records are taken over after 2 s (default 30 s),
# and retries while MariaDB is down back off to at most 1 s
$ENV{QL_ADMIND_USAGE_CLAIM_IDLE_MS} = 2000;
$ENV{QL_ADMIND_USAGE_RETRY_MAX_MS} = 1000;

my $stack = QL::Stack->new;
my $P = 'ql:{main}:';
my $STREAM = "${P}usage";
my $account = $stack->make_account;

my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };

# claude-sonnet-4-5 in pico-dollars per token: $3, $15, $3.75 (5 min
# cache write), $6 (1 h cache write), $0.30 (cache read) per MTok
sub cost_pico {
    my (%t) = @_;
    return ($t{input} // 0) * 3_000_000 + ($t{output} // 0) * 15_000_000
        + ($t{cw5m} // 0) * 3_750_000 + ($t{cw1h} // 0) * 6_000_000
        + ($t{read} // 0) * 300_000;
}

sub micros { int(($_[0] + 500_000) / 1_000_000) }

sub post {
    my ($key, $xmock, %o) = @_;
    return $stack->gateway('POST', '/v1/messages',
        { 'x-api-key' => $key->{key}, $xmock ? ('x-mock' => $xmock) : () },
        $o{body} || $body);
}

sub sql { $stack->sql_root($_[0]) }

sub count_rows {
    my ($where) = @_;
    my $n = eval { sql("SELECT COUNT(*) FROM usage_records WHERE $where") };
    return defined $n ? $n + 0 : -1;
}

# Waits until the rows matching $where number $n; returns the count.
sub wait_rows {
    my ($where, $n, $timeout) = @_;
    my $deadline = time + ($timeout // 20);
    my $got = -1;
    while (time < $deadline) {
        $got = count_rows($where);
        return $got if $got == $n;
        sleep 0.1;
    }
    return $got;
}

# The rows of a key as hashes, oldest first.
sub rows_of {
    my ($key_id) = @_;
    my @cols = qw(request_id ts api_key_id user_id account_id platform
                  model input_tokens output_tokens
                  cache_creation_input_tokens cache_creation_5m_tokens
                  cache_creation_1h_tokens cache_read_input_tokens
                  cost_micros cost_pico priced_by_fallback upstream_status
                  status latency_ms ttfb_ms streamed aborted complete);
    my $out = sql('SELECT ' . join(', ', map { "IFNULL($_, 'NULL')" } @cols)
                  . " FROM usage_records WHERE api_key_id = $key_id "
                  . 'ORDER BY id');
    my @rows;
    for my $line (split /\n/, $out) {
        my %r;
        @r{@cols} = split /\t/, $line;
        push @rows, \%r;
    }
    return @rows;
}

sub health { $stack->request('GET', $stack->admin_url . '/healthz') }

# records in the stream: an entry holds those of one worker's event-loop
# turn, each starting with its request_id
sub stream_records {
    my $entries = $stack->redis('XRANGE', $STREAM, '-', '+');
    return scalar grep { $_ eq 'request_id' } map { @{ $_->[1] } } @$entries;
}

sub stream_state {
    my $len = $stack->redis('XLEN', $STREAM);
    my $pending = $stack->redis('XPENDING', $STREAM, 'admind');
    return ($len + 0, ref $pending ? $pending->[0] + 0 : 0);
}

# ---- one JSON answer: every field, exact cost ----

my $user = $stack->make_user;
my $key = $stack->make_key(userId => $user->{id});

my %t = (input => 1234, output => 567, cw5m => 89, cw1h => 10, read => 4321);
my $res = post($key, "input_tokens=$t{input};output_tokens=$t{output};"
               . "cache_read=$t{read};cache_creation_5m=$t{cw5m};"
               . "cache_creation_1h=$t{cw1h}");
is($res->{status}, 200, 'JSON request through the gateway');
is(wait_rows("api_key_id = $key->{id}", 1), 1, 'one row stored');

my ($row) = rows_of($key->{id});
like($row->{request_id}, qr/^[0-9a-f]{32}$/, 'request_id: 32 hex digits');
is($row->{user_id}, $user->{id}, 'user_id');
is($row->{account_id}, $account->{id}, 'account_id');
is($row->{platform}, 'claude', 'platform');
is($row->{model}, 'claude-sonnet-4-5', 'model');
is($row->{input_tokens}, $t{input}, 'input tokens exact');
is($row->{output_tokens}, $t{output}, 'output tokens exact');
is($row->{cache_creation_5m_tokens}, $t{cw5m}, '5 min cache writes');
is($row->{cache_creation_1h_tokens}, $t{cw1h}, '1 h cache writes');
is($row->{cache_creation_input_tokens}, $t{cw5m} + $t{cw1h},
   'cache writes = 5 min + 1 h');
is($row->{cache_read_input_tokens}, $t{read}, 'cache reads');
my $pico = cost_pico(%t);
is($row->{cost_pico}, $pico, "cost_pico exact ($pico)");
is($row->{cost_micros}, micros($pico), 'cost_micros rounded half up once');
is($row->{priced_by_fallback}, 0, 'priced from the table');
is($row->{upstream_status}, 200, 'upstream status');
is($row->{status}, 200, 'client status');
is("$row->{streamed}$row->{aborted}$row->{complete}", '001',
   'not streamed, not aborted, complete');
ok($row->{latency_ms} ne 'NULL' && $row->{ttfb_ms} <= $row->{latency_ms},
   'latency and time to first byte');
like($row->{ts}, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/,
     'ts in ms');
ok(sql("SELECT ABS(TIMESTAMPDIFF(SECOND, ts, UTC_TIMESTAMP())) < 120 "
       . "FROM usage_records WHERE request_id = '$row->{request_id}'") == 1,
   'ts: the request time, UTC');

# ---- SSE ----

my $skey = $stack->make_key(userId => $user->{id});
%t = (input => 2000, output => 333, read => 0, cw5m => 0, cw1h => 0);
$res = post($skey, "input_tokens=2000;output_tokens=333;events=5",
            body => { %$body, stream => JSON::PP::true });
like($res->{content}, qr/message_stop/, 'full stream');
is(wait_rows("api_key_id = $skey->{id}", 1), 1, 'stream: one row');
($row) = rows_of($skey->{id});
is($row->{input_tokens}, 2000, 'stream: input tokens');
is($row->{output_tokens}, 333, 'stream: output tokens of message_delta');
is($row->{cost_pico}, cost_pico(%t), 'stream: exact cost');
is("$row->{streamed}$row->{aborted}$row->{complete}", '101',
   'streamed, not aborted, complete');

# ---- a model the pricing file does not know ----

my $fkey = $stack->make_key(userId => $user->{id});
post($fkey, 'input_tokens=10;output_tokens=10',
     body => { %$body, model => 'mystery-model-9' });
is(wait_rows("api_key_id = $fkey->{id}", 1), 1, 'unknown model: stored');
($row) = rows_of($fkey->{id});
is($row->{model}, 'mystery-model-9', 'unknown model: its name');
is($row->{priced_by_fallback}, 1, 'unknown model: priced_by_fallback');
ok($row->{cost_pico} > 0, 'unknown model: still billed (fallback price)');

# ---- a client that hangs up mid-stream is billed for what it saw ----

my $akey = $stack->make_key(userId => $user->{id});
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $stack->{gateway_port},
                                  Proto => 'tcp') or die $!;
    my $json = JSON::PP->new->encode({ %$body, stream => JSON::PP::true });
    print $s "POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
        . "x-api-key: $akey->{key}\r\ncontent-type: application/json\r\n"
        . "x-mock: input_tokens=777;output_tokens=999;events=200;"
        . "token_ms=20\r\n"
        . "content-length: " . length($json) . "\r\n\r\n$json";
    my $got = '';
    while ($got !~ /content_block_delta/) {
        my $n = sysread($s, my $buf, 4096);
        last unless $n;
        $got .= $buf;
    }
    close $s;
}
is(wait_rows("api_key_id = $akey->{id}", 1), 1, 'aborted stream: recorded');
($row) = rows_of($akey->{id});
is("$row->{streamed}$row->{aborted}$row->{complete}", '110',
   'aborted stream: streamed, aborted, not complete');
is($row->{input_tokens}, 777, 'aborted stream: input of message_start');
is($row->{output_tokens}, 1,
   'aborted stream: the output count it saw (message_start), not 999');
is($row->{cost_pico}, cost_pico(input => 777, output => 1),
   'aborted stream: billed for that');

# ---- records that cannot be stored go to the dead-letter stream ----

$stack->redis('XADD', $STREAM, '*', 'ts_ms', int(time * 1000),
              'input_tokens', '5');
$stack->redis('XADD', $STREAM, '*', 'request_id', 'f' x 32, 'ts_ms',
              int(time * 1000), 'input_tokens', '12x');
my $vkey = $stack->make_key(userId => $user->{id});
my $rid = QL::Stack::random_hex(16);
$stack->redis('XADD', $STREAM, '*', 'request_id', $rid,
              'ts_ms', int(time * 1000), 'key_id', $vkey->{id},
              'user_id', $user->{id}, 'account_id', $account->{id},
              'platform', 'claude',
              'model', "bad-\xff-utf8", 'input_tokens', '3',
              'cost_micros', '9', 'cost_pico', '9000000',
              'a_field_from_the_future', 'x');
is(wait_rows("request_id = '$rid'", 1), 1,
   'a record behind two bad ones is stored');
is(sql("SELECT HEX(model) FROM usage_records WHERE request_id = '$rid'"),
   uc(unpack('H*', 'bad-?-utf8')) . "\n",
   'invalid UTF-8 in the model repaired, not refused');
my $dead = $stack->redis('XRANGE', "${P}usage:dead", '-', '+');
is(scalar @$dead, 2, 'two dead letters');
my %dead0 = @{ $dead->[0][1] };
my %dead1 = @{ $dead->[1][1] };
is($dead0{dead_reason}, 'no request_id', 'reason: no request_id');
like($dead1{dead_reason}, qr/input_tokens/, 'reason names the bad field');
is($dead1{input_tokens}, '12x', 'the record kept as it was');
my ($len, $pending) = stream_state();
is($len, 0, 'the stream is empty again (XACK + XDEL)');
is($pending, 0, 'nothing pending');
$res = health();
is($res->{status}, 200, 'healthz 200');
is($res->{json}{usageDead}, 2, 'healthz: usageDead');
is($res->{json}{usageBacklog}, 0, 'healthz: usageBacklog 0');

# one entry with three records (as a worker writes a turn's records): the
# bad one is dead-lettered alone, with only its own fields
my @rid3 = map { QL::Stack::random_hex(16) } 1 .. 3;
my @common = ('key_id', $vkey->{id}, 'user_id', $user->{id},
              'account_id', $account->{id}, 'platform', 'claude',
              'model', 'claude-sonnet-4-5', 'cost_micros', '1',
              'cost_pico', '1000000');
$stack->redis('XADD', $STREAM, '*',
    'request_id', $rid3[0], 'ts_ms', int(time * 1000), 'input_tokens', '4',
    @common,
    'request_id', $rid3[1], 'ts_ms', int(time * 1000), 'input_tokens', '5x',
    @common,
    'request_id', $rid3[2], 'ts_ms', int(time * 1000), 'input_tokens', '6',
    @common);
is(wait_rows("request_id IN ('$rid3[0]', '$rid3[2]')", 2), 2,
   'an entry of three records: the two good ones stored');
is(sql("SELECT SUM(input_tokens) FROM usage_records WHERE request_id IN "
       . "('$rid3[0]', '$rid3[2]')"), "10\n", 'each with its own fields');
$dead = $stack->redis('XRANGE', "${P}usage:dead", '-', '+');
is(scalar @$dead, 3, 'the bad one dead-lettered');
my %dead2 = @{ $dead->[2][1] };
is($dead2{request_id}, $rid3[1], 'it alone');
is($dead2{input_tokens}, '5x', 'with its own fields');
is(scalar(grep { $_ eq 'request_id' } @{ $dead->[2][1] }), 1,
   'and none of the others');
($len, $pending) = stream_state();
is("$len/$pending", '0/0', 'the entry acknowledged and deleted whole');

# ---- records for keys or accounts MySQL does not know are refused ----

# Whoever can write the stream (here the harness's admin Redis user)
# could bill a key that does not exist, or another user's key.
my $other_user = $stack->make_user;
my %forged = (
    unknown_key       => [ key_id => 999, user_id => $user->{id},
                           account_id => $account->{id} ],
    key_user_mismatch => [ key_id => $vkey->{id},
                           user_id => $other_user->{id},
                           account_id => $account->{id} ],
    unknown_account   => [ key_id => $vkey->{id}, user_id => $user->{id},
                           account_id => 999 ],
);
my %forged_rid;
for my $why (sort keys %forged) {
    $forged_rid{$why} = QL::Stack::random_hex(16);
    $stack->redis('XADD', $STREAM, '*', 'request_id', $forged_rid{$why},
                  'ts_ms', int(time * 1000), @{ $forged{$why} },
                  'platform', 'claude', 'model', 'claude-sonnet-4-5',
                  'input_tokens', '1000000', 'cost_micros', '3000000');
}
my $good_rid = QL::Stack::random_hex(16);
$stack->redis('XADD', $STREAM, '*', 'request_id', $good_rid,
              'ts_ms', int(time * 1000), 'key_id', $vkey->{id},
              'user_id', $user->{id}, 'account_id', $account->{id},
              'platform', 'claude', 'model', 'claude-sonnet-4-5',
              'input_tokens', '1');
is(wait_rows("request_id = '$good_rid'", 1), 1,
   'the genuine record behind the forged ones is stored');
for my $why (sort keys %forged) {
    is(count_rows("request_id = '$forged_rid{$why}'"), 0,
       "$why: no usage row");
}
is(count_rows('api_key_id = 999'), 0, 'nothing stored for key id 999');
$dead = $stack->redis('XRANGE', "${P}usage:dead", '-', '+');
my %dead_by_rid = map { my %f = @{ $_->[1] }; ($f{request_id} // '') => \%f }
                  @$dead;
for my $why (sort keys %forged) {
    my $d = $dead_by_rid{ $forged_rid{$why} } || {};
    is($d->{dead_reason}, $why, "$why: one dead letter with the reason");
}
is($dead_by_rid{ $forged_rid{unknown_key} }{key_id}, '999',
   'the dead letter keeps the record');
is(scalar @$dead, 6, 'three more dead letters, no more');
my $warned = qr/^(?=.*"level":"warn")(?=.*usage record refused)/m;
ok(QL::Stack::file_has("$stack->{dir}/log/admind.log",
                       qr/$warned(?=.*"reason":"unknown_key")/),
   'admind logs a warning with the reason');
is(health()->{json}{usageDead}, 6, 'healthz: usageDead counts them');

# ---- a record delivered twice is stored once ----

$stack->redis('XADD', $STREAM, '*', 'request_id', $rid,
              'ts_ms', int(time * 1000), 'key_id', $vkey->{id},
              'user_id', $user->{id}, 'account_id', $account->{id},
              'input_tokens', '3');
my $deadline = time + 10;
sleep 0.1 while time < $deadline && (stream_state())[0] > 0;
is(count_rows("request_id = '$rid'"), 1, 'redelivered record: still one row');

# ---- records written before the consumer group existed ----

is($stack->stop_admind, 0, 'admind stops cleanly');
$stack->redis('XGROUP', 'DESTROY', $STREAM, 'admind');
for my $i (1 .. 5) {
    $stack->redis('XADD', $STREAM, '*', 'request_id', "early-$i-$rid",
                  'ts_ms', int(time * 1000), 'key_id', $vkey->{id},
                  'user_id', $user->{id}, 'account_id', $account->{id},
                  'input_tokens', $i);
}
$stack->_spawn_admind;
is(wait_rows("request_id LIKE 'early-%-$rid'", 5), 5,
   'records older than the group are read (group created at 0)');

# ---- 1,000 requests while MariaDB is down ----

# Runs $total requests with $clients forked clients; returns the number
# of 200s.
sub load {
    my ($k, $total, $clients, $xmock) = @_;
    my @kids;
    for my $c (0 .. $clients - 1) {
        pipe(my $r, my $w) or die $!;
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            close $r;
            my $ok = 0;
            for (my $i = $c; $i < $total; $i += $clients) {
                $ok++ if post($k, $xmock)->{status} == 200;
            }
            print $w "$ok\n";
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @kids, [ $pid, $r ];
    }
    return \@kids;
}

sub collect {
    my ($kids) = @_;
    my $ok = 0;
    for my $k (@$kids) {
        my $fh = $k->[1];
        my $n = <$fh>;
        waitpid($k->[0], 0);
        $ok += $n // 0;
    }
    return $ok;
}

my $mkey = $stack->make_key(userId => $user->{id});
my $kids = load($mkey, 1000, 4, 'input_tokens=100;output_tokens=10;'
                                . 'first_byte_ms=10');
my $w0 = time;
sleep 0.05 while count_rows("api_key_id = $mkey->{id}") < 50
                 && time - $w0 < 20;
ok(count_rows("api_key_id = $mkey->{id}") >= 50,
   'records flow before MariaDB stops');
$stack->stop_mariadb;
my $ok = collect($kids);
is($ok, 1000, 'all 1,000 requests answered 200 (the gateway needs no '
              . 'MySQL)');

$res = health();
is($res->{status}, 503, 'healthz 503 while MariaDB is down');
like($res->{json}{db} // '', qr/^error/, 'healthz names the database');
ok(($res->{json}{usageBacklog} // 0) > 0,
   'healthz shows the backlog waiting in the stream: '
   . ($res->{json}{usageBacklog} // 'none'));

$stack->start_mariadb_again;
is(wait_rows("api_key_id = $mkey->{id}", 1000, 60), 1000,
   'exactly 1,000 rows once MariaDB is back');
is(sql("SELECT COUNT(DISTINCT request_id), SUM(input_tokens), "
       . "SUM(output_tokens), SUM(cost_micros) FROM usage_records "
       . "WHERE api_key_id = $mkey->{id}"),
   "1000\t100000\t10000\t" . 1000 * micros(cost_pico(input => 100,
                                                      output => 10))
   . "\n", 'no duplicates, every token and micro-dollar');
($len, $pending) = stream_state();
is("$len/$pending", '0/0', 'stream drained, nothing pending');
$deadline = time + 10;
sleep 0.2 while time < $deadline && health()->{status} != 200;
is(health()->{json}{usageBacklog}, 0, 'healthz: backlog 0');

# ---- admind killed in the middle of a batch ----

# 300 records wait while admind is stopped; the table is write-locked
# from another session; admind starts, reads them as one batch, its
# INSERT waits on the lock, and admind is killed right there.
my $kkey = $stack->make_key(userId => $user->{id});
is($stack->stop_admind, 0, 'admind stopped');
$ok = collect(load($kkey, 300, 3, 'input_tokens=7;output_tokens=3'));
is($ok, 300, '300 requests answered while admind is down');
# a record is added at the log phase, just after its answer went out
$deadline = time + 10;
sleep 0.1 while time < $deadline && stream_records() < 300;
is(stream_records(), 300, '300 records wait in the stream');
my ($entries) = stream_state();

open(my $lock, '|-', "mariadb --no-defaults -uroot -S $stack->{db_socket} "
     . "quotalane") or die "mariadb: $!";
{
    my $old = select($lock);
    $| = 1;
    select($old);
}
print $lock "LOCK TABLES usage_records WRITE;\n";
sleep 0.5;

$stack->_spawn_admind;
$deadline = time + 10;
$pending = 0;
while (time < $deadline) {
    (undef, $pending) = stream_state();
    last if $pending == $entries;
    sleep 0.1;
}
is($pending, $entries,
   "admind read all 300 ($entries entries) as one batch and cannot store it");

my $proc = $stack->admind_proc;
kill 'KILL', $proc->{pid};
waitpid($proc->{pid}, 0);
$proc->{done} = 1;
pass('admind killed with SIGKILL mid-batch');

print $lock "UNLOCK TABLES;\n";
close $lock;
is(count_rows("api_key_id = $kkey->{id}"), 0,
   'nothing of the batch was committed');

$stack->_spawn_admind;
is(wait_rows("api_key_id = $kkey->{id}", 300, 30), 300,
   'after the restart: all 300 rows (the dead consumer\'s batch claimed)');
is(sql("SELECT COUNT(DISTINCT request_id) FROM usage_records "
       . "WHERE api_key_id = $kkey->{id}") + 0, 300, 'no duplicates');
($len, $pending) = stream_state();
is("$len/$pending", '0/0', 'stream drained, nothing pending');
ok(QL::Stack::file_has("$stack->{dir}/log/admind.log",
                       qr/usage records of another consumer taken over/),
   'the takeover is logged');

# ---- the usage API ----

my $other = $stack->make_user(password => 'other-secret-1');
my $okey2 = $stack->make_key(userId => $other->{id});
post($okey2, 'input_tokens=50;output_tokens=5') for 1 .. 3;
is(wait_rows("api_key_id = $okey2->{id}", 3), 3, 'other user: 3 rows');

$res = $stack->admin('GET', "/api/v1/usage/records?keyId=$key->{id}");
is($res->{status}, 200, 'GET /usage/records');
my $rec = $res->{json}{records}[0];
is($res->{json}{totalSize}, '1', 'filtered by keyId');
is_deeply([ @$rec{qw(keyId userId accountId inputTokens outputTokens
                     cacheCreationTokens cacheCreation5mTokens
                     cacheCreation1hTokens cacheReadTokens costPico)} ],
          [ $key->{id}, $user->{id}, $account->{id}, '1234', '567', '99',
            '89', '10', '4321', '' . cost_pico(input => 1234, output => 567,
                                               cw5m => 89, cw1h => 10,
                                               read => 4321) ],
          'record fields: ids and int64 as strings');
is_deeply([ @$rec{qw(streamed aborted complete pricedByFallback)} ],
          [ JSON::PP::false, JSON::PP::false, JSON::PP::true,
            JSON::PP::false ], 'flags as booleans');
like($rec->{ts}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
     'ts: RFC 3339 with ms');

$res = $stack->admin('GET', "/api/v1/usage/records?keyId=$mkey->{id}"
                     . '&pageSize=400');
is(scalar @{ $res->{json}{records} }, 400, 'page of 400');
my $next = $res->{json}{nextPageToken};
ok($next, 'next page token');
my %seen = map { $_->{requestId} => 1 } @{ $res->{json}{records} };
while ($next) {
    $res = $stack->admin('GET', "/api/v1/usage/records?keyId=$mkey->{id}"
                         . "&pageSize=400&pageToken=$next");
    $seen{ $_->{requestId} } = 1 for @{ $res->{json}{records} };
    $next = $res->{json}{nextPageToken};
}
is(scalar keys %seen, 1000, 'paging walks all 1,000 records once');

$res = $stack->admin('GET', "/api/v1/usage/summary?groupBy=key"
                     . "&userId=$user->{id}");
is($res->{status}, 200, 'summary by key');
my %by = map { $_->{group} => $_ } @{ $res->{json}{groups} };
is($by{ $mkey->{id} }{requests}, '1000', 'summary: requests of a key');
is($by{ $mkey->{id} }{inputTokens}, '100000', 'summary: input tokens');
is($by{ $mkey->{id} }{costMicros},
   '' . 1000 * micros(cost_pico(input => 100, output => 10)),
   'summary: cost');
my $sum = 0;
$sum += $_->{requests} for values %by;
is($res->{json}{total}{requests}, "$sum", 'total = sum of the groups');

$res = $stack->admin('GET', '/api/v1/usage/summary?groupBy=day');
like($res->{json}{groups}[0]{group}, qr/^\d{4}-\d\d-\d\d$/, 'by day');
$res = $stack->admin('GET', '/api/v1/usage/summary?groupBy=month');
like($res->{json}{groups}[0]{group}, qr/^\d{4}-\d\d$/, 'by month');
$res = $stack->admin('GET', '/api/v1/usage/summary?groupBy=model'
                     . "&userId=$user->{id}&from=2000-01-01T00:00:00Z");
ok((grep { $_->{group} eq 'mystery-model-9' } @{ $res->{json}{groups} }),
   'by model, with from');
$res = $stack->admin('GET', '/api/v1/usage/summary?groupBy=model'
                     . '&to=2000-01-01T00:00:00Z');
is($res->{json}{total}{requests}, '0', 'to before everything: nothing');
is($stack->admin('GET', '/api/v1/usage/summary?groupBy=planet')->{status},
   400, 'unknown groupBy: 400');
is($stack->admin('GET', '/api/v1/usage/records?from=yesterday')->{status},
   400, 'bad from: 400');

# a user sees only their own
my $login = $stack->request('POST', $stack->admin_url . '/api/v1/auth/login',
    {}, { username => $other->{username}, password => 'other-secret-1' });
my $utoken = $login->{json}{token};
ok($utoken, 'user login');
$res = $stack->admin('GET', '/api/v1/usage/records', undef, $utoken);
is($res->{status}, 200, 'user: GET /usage/records');
is($res->{json}{totalSize}, '3', 'user: only their 3 records');
ok(!(grep { $_->{userId} ne $other->{id} } @{ $res->{json}{records} }),
   'user: every record is theirs');
$res = $stack->admin('GET', "/api/v1/usage/records?keyId=$mkey->{id}",
                     undef, $utoken);
is($res->{json}{totalSize}, '0', 'user: somebody else\'s key shows nothing');
$res = $stack->admin('GET', "/api/v1/usage/records?userId=$user->{id}",
                     undef, $utoken);
is($res->{status}, 403, 'user: asking for another user: 403');
$res = $stack->admin('GET', '/api/v1/usage/summary?groupBy=user', undef,
                     $utoken);
is_deeply([ map { $_->{group} } @{ $res->{json}{groups} } ], [ $other->{id} ],
          'user: the summary holds only them');
is($res->{json}{total}{requests}, '3', 'user: their total');

# ---- Redis restarts empty: the group is made again ----

$stack->restart_redis;
$deadline = time + 20;
sleep 0.1 while time < $deadline && !$stack->redis('EXISTS', "${P}synced");

# a key made now: its write-through may meet a connection that died
# with Redis, and the resync repairs that within a second or so
my $rkey = $stack->make_key(userId => $user->{id});
my $st = 0;
while (time < $deadline) {
    $st = post($rkey, 'input_tokens=1;output_tokens=1')->{status};
    last if $st == 200;
    sleep 0.25;
}
is($st, 200, 'the gateway works again after the Redis restart');
is(wait_rows("api_key_id = $rkey->{id}", 1), 1,
   'a record written after the Redis restart is stored');
is(health()->{json}{usageBacklog}, 0, 'nothing left in the new stream');

$stack->finish;
