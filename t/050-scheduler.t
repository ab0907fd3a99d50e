#!/usr/bin/perl
# The scheduler under load, with a real Redis: account and key
# concurrency leases, rate windows and cost limits at their exact
# boundaries, sticky sessions, cooldowns from upstream answers, failover,
# and leases of a killed worker coming back.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use QL::Stack;

my $stack = QL::Stack->new(
    nginx_http => 'quotalane_lease_time 3s;',
);
my $prefix = 'ql:{main}:';

my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };

# A new conversation each time unless the test says otherwise: the same
# first message would be one sticky session.
sub fresh_body {
    return { %$body, messages => [ { role => 'user',
                                     content => 'q ' . rand() } ] };
}

sub post {
    my ($key, %o) = @_;
    my $headers = { 'x-api-key' => $key->{key}, %{ $o{headers} || {} } };
    return $stack->gateway('POST', '/v1/messages', $headers,
                           $o{body} || fresh_body());
}

sub stats { $stack->request('GET', $stack->mock_url . '/__mock/stats')->{json} }

sub mock_rule {
    my ($cred, $xmock) = @_;
    $stack->request('POST', $stack->mock_url . '/__mock/rules', {},
                    { match => { header => 'x-api-key', value => $cred },
                      'x-mock' => $xmock });
}

sub set_all_unschedulable {
    for my $a (@{ $stack->admin('GET', '/api/v1/accounts')->{json}{accounts}
                  || [] }) {
        $stack->admin('PATCH', "/api/v1/accounts/$a->{id}",
                      { schedulable => JSON::PP::false });
    }
}

# Fires n requests at once (forked clients); returns their statuses.
sub concurrently {
    my ($n, $make) = @_;
    my @pids;
    for my $i (1 .. $n) {
        pipe(my $r, my $w) or die $!;
        my $pid = fork();
        if ($pid == 0) {
            close $r;
            my $res = $make->($i);
            print $w $res->{status};
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @pids, [ $pid, $r ];
    }
    my @status;
    for my $p (@pids) {
        my $fh = $p->[1];
        my $s = <$fh>;
        waitpid($p->[0], 0);
        push @status, $s // 0;
    }
    return @status;
}

subtest 'account concurrency: never more than the limit in flight' => sub {
    my @creds = map { "sk-conc-$_-" . QL::Stack::random_hex(4) } 1 .. 3;
    my @ids = map { $stack->make_account(apiKey => $_,
                                         concurrencyLimit => 2)->{id} } @creds;
    my $key = $stack->make_key;
    $stack->mock_clear;

    my $t0 = time;
    my @status = concurrently(20, sub {
        post($key, headers => { 'x-mock' => 'events=20;token_ms=100' },
             body => { %$body, stream => JSON::PP::true });
    });
    my $ok = grep { $_ == 200 } @status;
    my $busy = grep { $_ == 529 } @status;

    my $max = stats()->{max_inflight};
    for my $c (@creds) {
        ok(($max->{$c} // 0) <= 2, "account $c: at most 2 in flight")
            or diag explain $max;
    }
    is($ok, 6, 'six streams served (3 accounts x 2 slots)');
    is($busy, 14, 'the surplus got 529 overloaded');

    my $leases = 0;
    $leases += scalar @{ $stack->redis('ZRANGE', "${prefix}aconc:$_", 0, -1) }
        for @ids;
    is($leases, 0, 'every lease given back');
    set_all_unschedulable();
};

subtest 'key concurrency limit' => sub {
    $stack->make_account(apiKey => 'sk-keyconc');
    my $key = $stack->make_key(concurrencyLimit => 2);
    my @status = concurrently(4, sub {
        post($key, headers => { 'x-mock' => 'first_byte_ms=700' });
    });
    is(scalar(grep { $_ == 200 } @status), 2, 'two run');
    is(scalar(grep { $_ == 429 } @status), 2, 'the others get 429');
    # a lease goes back in the log phase, pipelined after the answer: a
    # request to the other worker may reach Redis a moment before it
    my $status;
    for (1 .. 50) {
        $status = post($key)->{status};
        last if $status == 200;
        select(undef, undef, undef, 0.02);
    }
    is($status, 200, 'slots come back after');
};

subtest 'rate window: exact boundary, retry-after' => sub {
    my $key = $stack->make_key(rateWindowSeconds => 60,
                               rateLimitRequests => 5);
    is(post($key)->{status}, 200, "request $_ of 5") for 1 .. 5;
    my $res = post($key);
    is($res->{status}, 429, 'sixth: 429');
    is($res->{json}{error}{type}, 'rate_limit_error', 'rate_limit_error');
    ok($res->{headers}{'retry-after'} >= 1
       && $res->{headers}{'retry-after'} <= 60, 'retry-after in the window');
};

subtest 'cost limits: daily and total, exact boundaries' => sub {
    my $key = $stack->make_key(dailyCostLimitMicros => '1000000',
                               totalCostLimitMicros => '5000000');
    my $day = int(time / 86400);
    my $daily = "${prefix}kcost:$key->{id}:d:$day";

    $stack->redis('SET', $daily, 999_999);
    is(post($key)->{status}, 200, 'one micro-dollar below the daily limit');
    $stack->redis('SET', $daily, 1_000_000);
    my $res = post($key);
    is($res->{status}, 402, 'at the daily limit: 402');
    is($res->{json}{error}{type}, 'billing_error', 'billing_error');
    $stack->redis('SET', $daily, 0);

    $stack->redis('SET', "${prefix}kcost:$key->{id}:total", 4_999_999);
    is(post($key)->{status}, 200, 'below the total limit');
    $stack->redis('SET', "${prefix}kcost:$key->{id}:total", 5_000_000);
    is(post($key)->{status}, 402, 'at the total limit: 402');
};

set_all_unschedulable();

subtest 'sticky sessions follow the conversation' => sub {
    my @creds = map { "sk-sticky-$_" } 1 .. 3;
    $stack->make_account(apiKey => $_) for @creds;
    my $key = $stack->make_key;
    my $session = { %$body, metadata => { user_id =>
        'user_' . ('a' x 64) . '_account__session_' . QL::Stack::random_hex(16)
    } };

    $stack->mock_clear;
    is(post($key, body => $session)->{status}, 200, 'first turn') ;
    post($key, body => $session) for 2 .. 50;
    my %seen;
    $seen{ $_->{credential} }++ for @{ $stack->mock_requests };
    is(scalar keys %seen, 1, '50 turns landed on one account')
        or diag explain \%seen;
    my ($home) = keys %seen;

    # the account cools down: the conversation moves, together
    $stack->mock_clear;
    mock_rule($home, 'status=529');
    is(post($key, body => $session)->{status}, 200, 'failover turn ok');
    post($key, body => $session) for 1 .. 20;
    %seen = ();
    $seen{ $_->{credential} }++ for grep { $_->{status} == 200 }
                                    @{ $stack->mock_requests };
    is(scalar keys %seen, 1, 'moved to one other account together');
    ok(!$seen{$home}, 'off the cooled account');
    set_all_unschedulable();
};

subtest 'a sticky session never overrides a key binding' => sub {
    my $a = $stack->make_account(apiKey => 'sk-bind-a');
    my $b = $stack->make_account(apiKey => 'sk-bind-b');
    my $ka = $stack->make_key(accountId => $a->{id});
    my $kb = $stack->make_key(accountId => $b->{id});
    my $same = { %$body, messages => [ { role => 'user',
                                         content => 'same conversation' } ] };

    $stack->mock_clear;
    is(post($ka, body => $same)->{status}, 200, 'key A, conversation X');
    is(post($kb, body => $same)->{status}, 200, 'key B, conversation X');
    my @creds = map { $_->{credential} } @{ $stack->mock_requests };
    is_deeply(\@creds, [ 'sk-bind-a', 'sk-bind-b' ],
              'each key stayed on its bound account');
    set_all_unschedulable();
};

subtest '429 with a reset time: off the account until then' => sub {
    my ($a, $b) = map { "sk-reset-$_" } 1 .. 2;
    $stack->make_account(apiKey => $a, priority => 10);
    $stack->make_account(apiKey => $b, priority => 20);
    my $key = $stack->make_key;

    my $reset = int(time) + 3;
    $stack->mock_clear;
    $stack->request('POST', $stack->mock_url . '/__mock/rules', {},
        { match => { header => 'x-api-key', value => $a },
          'x-mock' => "status=429;reset=$reset", times => 1 });

    is(post($key)->{status}, 200, 'the 429 was failed over');
    post($key) for 1 .. 5;
    my @after = map { $_->{credential} } @{ $stack->mock_requests };
    is(scalar(grep { $_ eq $a } @after), 1, 'preferred account tried once');
    is($after[-1], $b, 'then traffic stays on the other');

    sleep($reset - time + 0.5) if $reset > time - 0.5;
    $stack->mock_clear;
    post($key);
    is($stack->mock_requests->[-1]{credential}, $a,
       'after the reset the preferred account is back');
    set_all_unschedulable();
};

subtest 'failover: one of three accounts answers 529' => sub {
    my @creds = map { "sk-fo-$_" } 1 .. 3;
    $stack->make_account(apiKey => $_) for @creds;
    my $key = $stack->make_key;
    $stack->request('DELETE', $stack->mock_url . '/__mock/rules');
    mock_rule($creds[0], 'status=529');

    my $ok = 0;
    $ok += post($key)->{status} == 200 ? 1 : 0 for 1 .. 200;
    is($ok, 200, 'all 200 requests succeed');
    set_all_unschedulable();
};

subtest 'a worker killed mid-stream: its leases expire' => sub {
    $stack->request('DELETE', $stack->mock_url . '/__mock/rules');
    my $cred = 'sk-kill-1';
    my $acct = $stack->make_account(apiKey => $cred, concurrencyLimit => 1);
    my $key = $stack->make_key;

    my $pid = fork();
    if ($pid == 0) {
        post($key, headers => { 'x-mock' => 'events=100;token_ms=100' },
             body => { %$body, stream => JSON::PP::true });
        POSIX::_exit(0);
    }
    sleep 1;
    is(post($key)->{status}, 529, 'the only slot is taken');

    # kill every worker; the master starts new ones
    my $master = $stack->nginx_pid;
    my @workers = map { /^\s*(\d+)\s+(\d+)\s*$/ && $2 == $master ? $1 : () }
                  `ps -o pid=,ppid= -e`;
    ok(@workers, 'found the workers');
    kill 'KILL', @workers;
    waitpid($pid, 0);
    ok(scalar @{ $stack->redis('ZRANGE', "${prefix}aconc:$acct->{id}", 0,
                               -1) }, 'the dead worker\'s lease is still there');

    my $deadline = time + 10;
    my $status = 0;
    while (time < $deadline) {
        $status = post($key)->{status};
        last if $status == 200;
        sleep 0.25;
    }
    is($status, 200, 'capacity returns once the lease expires');
};

$stack->finish;
