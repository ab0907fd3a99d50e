#!/usr/bin/perl
# Reloads and worker deaths under load lose no usage and drop no request:
#  - a request waiting on Redis when `nginx -s reload` comes is answered
#    (the old worker stays for the reply), never an empty reply;
#  - a load drill with three reloads: upstream calls = access-log 200s =
#    MySQL usage rows, no connection error seen by the clients, no "open
#    socket left" alert, no dumped record;
#  - kill -9 of every worker while requests are at the upstream: each of
#    them is counted by admind's lease audit (leasesWithoutRecord), so
#    upstream calls = rows + leases without record;
#  - Redis down while a reload drains: the record is dumped as JSON and
#    `admind --replay-usage` stores it, once however often it is replayed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempfile);
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use QL::Stack;

# leases lapse 2 s after a worker died; the audit looks twice a second
$ENV{QL_ADMIND_LEASE_AUDIT_INTERVAL_MS} = 200;
$ENV{QL_ADMIND_LEASE_AUDIT_GRACE_MS} = 500;

my $stack = QL::Stack->new(nginx_http => <<'CONF');
    quotalane_redis_timeout 10s;
    quotalane_lease_time 2s;
    quotalane_usage_drain_timeout 2s;
CONF

my $dir = $stack->dir;
my $ERROR_LOG = "$dir/log/nginx-error.log";
my $ACCESS_LOG = "$dir/log/nginx-access.log";
my $JSON = JSON::PP->new->canonical;

my $account = $stack->make_account;
my $key = $stack->make_key;

my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };

sub post {
    my (%o) = @_;
    return $stack->gateway('POST', '/v1/messages',
        { 'x-api-key' => $key->{key},
          $o{mock} ? ('x-mock' => $o{mock}) : () },
        $o{body} || $body);
}

sub count_rows {
    my $n = eval { $stack->sql_root('SELECT COUNT(*) FROM usage_records') };
    return defined $n ? $n + 0 : -1;
}

sub wait_rows {
    my ($n) = @_;
    my $deadline = time + 60;
    my $got = -1;
    while (time < $deadline) {
        $got = count_rows();
        return $got if $got >= $n;
        sleep 0.1;
    }
    return $got;
}

sub health {
    my $res = $stack->request('GET', $stack->admin_url . '/healthz');
    return $res->{json} || {};
}

# the consumer has stored everything the stream holds
sub wait_consumed {
    $stack->wait_for('usage stream drained', 60, sub {
        my $h = health();
        defined $h->{usageBacklog} && $h->{usageBacklog} == 0
            && $h->{usagePending} == 0;
    });
}

sub mock_stats {
    my $res = $stack->{http}->get($stack->mock_url . '/__mock/stats');
    die "mock stats: $res->{status}" unless $res->{success};
    return $JSON->decode($res->{content});
}

sub mock_inflight {
    my $n = 0;
    $n += $_ for values %{ mock_stats()->{inflight} };
    return $n;
}

sub count_in {
    my ($path, $re) = @_;
    open my $fh, '<', $path or return 0;
    my $n = 0;
    while (<$fh>) {
        $n++ if $_ =~ $re;
    }
    close $fh;
    return $n;
}

sub access_200s {
    count_in($ACCESS_LOG, qr{"POST /v1/messages HTTP/1\.[01]" 200 });
}

# nginx worker processes: [pid, shutting down?]
sub workers {
    my $master = $stack->nginx_pid;
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $s = <$fh>;
        close $fh;
        next unless defined $s && $s =~ /^(\d+) \(.*\) \S+ (\d+) /;
        next unless $2 == $master;
        my $pid = $1;
        open my $c, '<', "/proc/$pid/cmdline" or next;
        my $cmd = <$c> // '';
        close $c;
        push @w, [ $pid, $cmd =~ /shutting down/ ? 1 : 0 ];
    }
    return @w;
}

# old workers gone (each may still be answering, then exits)
sub wait_old_workers_gone {
    $stack->wait_for('old workers to exit', 60, sub {
        !grep { $_->[1] } workers();
    });
}

sub reload_and_wait {
    my $before = count_in($ERROR_LOG, qr/gracefully shutting down/);
    $stack->reload_nginx;
    $stack->wait_for('old workers to get the reload', 30, sub {
        count_in($ERROR_LOG, qr/gracefully shutting down/) > $before;
    });
}

# A request in a child process; its answer comes back through a file.
sub post_in_child {
    my (%o) = @_;
    my ($fh, $file) = tempfile(DIR => "$dir/tmp");
    close $fh;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        my $res = post(%o);
        open my $out, '>', $file or POSIX::_exit(1);
        print $out $JSON->encode({ status => $res->{status},
                                   content => $res->{content} // '' });
        close $out;
        POSIX::_exit(0);
    }
    return { pid => $pid, file => $file };
}

sub child_answer {
    my ($c) = @_;
    waitpid($c->{pid}, 0);
    open my $fh, '<', $c->{file} or return { status => 0, content => '' };
    local $/;
    my $text = <$fh>;
    close $fh;
    return $JSON->decode($text);
}

is(post()->{status}, 200, 'a request through the gateway');

# ---- a request waiting on Redis when the reload comes ----

{
    my $redis = $stack->{redis_proc}{pid};

    kill 'STOP', $redis;
    my $c = post_in_child();
    sleep 0.5;    # the request is in a worker, waiting on Redis
    reload_and_wait();
    sleep 0.5;    # an old worker that does not wait is gone by now
    kill 'CONT', $redis;

    my $res = child_answer($c);
    is($res->{status}, 200, 'request waiting on Redis during a reload is '
       . 'answered') or diag("status $res->{status}: $res->{content}");
    like($res->{content}, qr/"type":"message"/, 'with the upstream answer');

    wait_old_workers_gone();
}

# ---- load drill: 3 reloads while 4 clients send requests ----

my $CLIENTS = 4;
my $PER_CLIENT = 20000;   # bounds: count, and 40 s; the stop file ends it
my $stop = "$dir/tmp/stop-load";

my @clients;
for my $i (1 .. $CLIENTS) {
    my ($fh, $file) = tempfile(DIR => "$dir/tmp");
    close $fh;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 0);
        my %tally = (sent => 0, status => {}, errors => [], end => 'stop');
        my $deadline = time + 40;
        my $stream = $JSON->encode({ %$body, stream => JSON::PP::true });
        my $plain = $JSON->encode($body);
        while (!-e $stop && time < $deadline && $tally{sent} < $PER_CLIENT) {
            my $res = $http->request('POST',
                $stack->gateway_url . '/v1/messages',
                { headers => { 'x-api-key' => $key->{key},
                               'content-type' => 'application/json' },
                  content => ($tally{sent} % 2 ? $stream : $plain) });
            $tally{sent}++;
            $tally{status}{ $res->{status} }++;
            push @{ $tally{errors} }, "$res->{status} $res->{content}"
                if $res->{status} != 200 && @{ $tally{errors} } < 5;
        }
        $tally{end} = 'limit' unless -e $stop;
        open my $out, '>', $file or POSIX::_exit(1);
        print $out $JSON->encode(\%tally);
        close $out;
        POSIX::_exit(0);
    }
    push @clients, { pid => $pid, file => $file };
}

for (1 .. 3) {
    sleep 2.5;
    reload_and_wait();
}
sleep 2;
open my $sf, '>', $stop or die "$stop: $!";
close $sf;

my (%status, @errors);
my $sent = 0;
my $during = 0;
for my $c (@clients) {
    waitpid($c->{pid}, 0);
    open my $fh, '<', $c->{file} or die "$c->{file}: $!";
    my $t = $JSON->decode(do { local $/; <$fh> });
    close $fh;
    $sent += $t->{sent};
    $status{$_} += $t->{status}{$_} for keys %{ $t->{status} };
    push @errors, @{ $t->{errors} };
    $during++ if $t->{end} eq 'stop';
}

wait_old_workers_gone();

my $ok = $status{200} // 0;
diag("load drill: $sent requests, " . join(', ', map { "$_: $status{$_}" }
                                              sort keys %status));
cmp_ok($sent, '>=', 1000, 'the drill sent at least 1,000 requests');
is($during, $CLIENTS, 'every client sent requests through all 3 reloads');
is($status{599} // 0, 0, 'no empty reply, reset or timeout seen by a '
   . 'client') or diag(join("\n", @errors));
is($ok, $sent, 'every request answered 200') or diag(join("\n", @errors));

# a row comes after its request's log phase, which writes the access log
my $upstream = mock_stats()->{requests};
is(wait_rows($upstream), $upstream, 'MySQL usage rows = upstream calls');
wait_consumed();
is(count_rows(), $upstream, 'and no more rows');
is(access_200s(), $upstream, 'access-log 200s = upstream calls');
is(count_in($ERROR_LOG, qr/open socket .* left in connection/), 0,
   'no "open socket left" alert');
is(count_in($ERROR_LOG, qr/unsent usage/), 0,
   'no usage record dumped: all went to Redis before the workers exited');

# ---- kill -9 of the workers while requests are at the upstream ----

{
    $stack->{http}->request('DELETE', $stack->mock_url . '/__mock/stats');
    my $rows = count_rows();
    my $lapsed = health()->{leasesWithoutRecord};
    ok(defined $lapsed, '/healthz counts leases without record');
    $lapsed //= 0;

    is(post()->{status}, 200, 'a request before the kill') for 1 .. 5;
    is(wait_rows($rows + 5), $rows + 5, 'its rows are stored');

    my $HANGING = 3;
    my @hanging = map { post_in_child(mock => 'hang=1') } 1 .. $HANGING;
    $stack->wait_for('requests at the upstream', 30, sub {
        mock_inflight() == $HANGING;
    });

    kill 'KILL', $_->[0] for workers();
    child_answer($_) for @hanging;

    $stack->wait_for('the lease audit', 60, sub {
        (health()->{leasesWithoutRecord} // 0) >= $lapsed + $HANGING;
    });
    wait_consumed();

    my $calls = mock_stats()->{requests};
    my $stored = count_rows() - $rows;
    my $lost = health()->{leasesWithoutRecord} - $lapsed;
    is($lost, $HANGING, 'each request killed at the upstream is a lease '
       . 'without record');
    is($calls, $stored + $lost, "upstream calls ($calls) = rows ($stored) "
       . "+ leases without record ($lost)");
    is(count_in("$dir/log/admind.log", qr/lease without record/), $HANGING,
       'admind logs each, with its request id');
    my $named = qr/lease without record.*"requestId":"[0-9a-f]{32}"/;
    ok(QL::Stack::file_has("$dir/log/admind.log", $named),
       'the log line names the request id');
    is($stack->sql_root('SELECT COUNT(*) FROM lease_lapses') + 0,
       $lapsed + $HANGING, 'stored in lease_lapses');

    $stack->wait_for('new workers', 30, sub { workers() == 2 });
    is(post()->{status}, 200, 'the respawned workers serve');
}

# ---- Redis down while a reload drains: dump, then replay ----

{
    wait_consumed();
    my $rows = count_rows();

    # a model that needs JSON escapes and is not ASCII
    my $model = "claude \"r\xc3\xa9load\"\\";
    my $c = post_in_child(mock => 'first_byte_ms=1500',
                          body => { %$body, model => $model });
    $stack->wait_for('the request at the upstream', 30, sub {
        mock_inflight() == 1;
    });
    $stack->stop_redis;
    is(child_answer($c)->{status}, 200, 'answered while Redis is down');

    reload_and_wait();
    $stack->wait_for('the dump', 30, sub {
        count_in($ERROR_LOG, qr/unsent usage/) > 0;
    });
    wait_old_workers_gone();
    is(count_in($ERROR_LOG, qr/unsent usage \{"request_id":"[0-9a-f]{32}"/),
       1, 'the record is dumped once, as JSON');
    ok(QL::Stack::file_has($ERROR_LOG,
                           qr/usage records wait for Redis, retrying/),
       'after the worker retried for the drain timeout');

    $stack->restart_redis;

    my @replay = ("$QL::Stack::REPO/build/admind", '-c', "$dir/admind.conf",
                  '--replay-usage', $ERROR_LOG);
    my $out = `@replay 2>>$dir/log/replay.log`;
    is($? >> 8, 0, 'admind --replay-usage succeeds');
    like($out, qr/replayed 1 usage records/, 'and replays the one record');
    is(wait_rows($rows + 1), $rows + 1, 'the replayed record is stored');

    # again, from a file that also holds a line cut short
    my ($line) = grep { /unsent usage/ } do {
        open my $fh, '<', $ERROR_LOG or die $!;
        <$fh>;
    };
    my $dump = "$dir/tmp/dump.log";
    (my $cut = $line) =~ s/,"ts_ms".*//s;
    QL::Stack::write_file($dump, $line . $cut . "\n");
    $replay[-1] = $dump;
    $out = `@replay 2>>$dir/log/replay.log`;
    is($? >> 8, 1, 'a line that is not a whole record fails the replay');
    like($out, qr/replayed 1 usage records .*, 1 failed/,
         'after replaying the good one');
    wait_consumed();
    is(count_rows(), $rows + 1, 'and stores nothing twice');
    is($stack->sql_root("SELECT output_tokens, status, HEX(model) FROM "
                        . "usage_records ORDER BY id DESC LIMIT 1"),
       "3\t200\t" . uc(unpack('H*', $model)) . "\n",
       'the replayed row has the request\'s usage and model');
}

is(count_in($ERROR_LOG, qr/open socket .* left in connection/), 0,
   'still no "open socket left" alert');

$stack->finish;
