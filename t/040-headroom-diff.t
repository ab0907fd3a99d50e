#!/usr/bin/perl
# Differential test: select.lua (in a real Redis) and the C reference of
# Headroom (ql/ql_headroom.c) pick the same account for randomized pools.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Open2;
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new(services => ['redis']);
my $repo = QL::Stack::repo();
my $ref = "$repo/build/tools/headroom_ref";
ok(-x $ref, 'C reference built') or BAIL_OUT('make tools first');

# the script as the module runs it: its prologue names the KEYS and ARGV
# positions (ngx_http_quotalane_scripts.h), and the call below uses them
my $lua = "$repo/build/nginx/addon/quotalane/select.lua";
open my $fh, '<', $lua or BAIL_OUT("$lua: $! (make module first)");
my $script = do { local $/; <$fh> };
close $fh;
my %pos = $script =~ /^local ((?:KEY|ARG)_\w+) = (\d+)$/mg;
my $sha = $stack->redis('SCRIPT', 'LOAD', $script);
like($sha, qr/^[0-9a-f]{40}$/, 'select.lua loads');

# KEYS and ARGV in the contract's order, from values given by name
sub select_call {
    my (%v) = @_;
    my (@keys, @argv);
    for my $name (keys %pos) {
        die "select.lua wants $name, the test does not give it"
            unless exists $v{$name};
        my $list = $name =~ /^KEY_/ ? \@keys : \@argv;
        $list->[$pos{$name} - 1] = $v{$name};
    }
    for my $name (keys %v) {
        die "$name is not in select.lua's contract" unless $pos{$name};
    }
    return ('EVALSHA', $sha, scalar @keys, @keys, @argv);
}

my $seed = $ENV{QL_SEED} // time;
srand($seed);
diag("seed $seed (QL_SEED=$seed repeats this run)");

sub pick { $_[int rand @_] }

my $now = 1_800_000_000_000;
my ($agree, $rounds, $nonempty) = (0, 300, 0);

for my $round (1 .. $rounds) {
    my $prefix = "diff$round:{t}:";
    # the caller's key, which select.lua checks is still active
    $stack->redis('HSET', "${prefix}key:k1", 'id', 1, 'status', 'active');
    my @accounts;
    my $n = 1 + int rand 8;
    for my $i (1 .. $n) {
        my $a = {
            id => $round * 100 + $i,
            active => (rand() < 0.9 ? 1 : 0),
            schedulable => (rand() < 0.9 ? 1 : 0),
            priority => pick(10, 50, 50, 50, 90),
            health => pick(100, 100, 100, 80, 50, 20, 0),
            last_used => pick(0, $now - 1000, $now - 2000, $now - 1000),
            cooldown => pick(0, 0, 0, $now - 5, $now + 60_000),
            circuit => (rand() < 0.15 ? 1 : 0),
            circuit_until => pick($now - 10, $now + 10_000),
            probe_until => pick(0, 0, $now + 5000),
            conc_limit => pick(0, 0, 1, 2, 3, 10),
            rpm_limit => pick(0, 0, 5, 60),
            tpm_limit => pick(0, 0, 1000, 100_000),
        };
        $a->{inflight} = $a->{conc_limit} ? int rand($a->{conc_limit} + 1)
                                          : int rand 4;
        $a->{rpm} = $a->{rpm_limit} ? int rand($a->{rpm_limit} + 1)
                                    : int rand 10;
        $a->{tpm} = $a->{tpm_limit} ? int rand($a->{tpm_limit} + 1) : 0;
        push @accounts, $a;

        my $key = "${prefix}account:$a->{id}";
        $stack->redis('HSET', $key, 'id', $a->{id},
            'status', $a->{active} ? 'active' : 'disabled',
            'schedulable', $a->{schedulable}, 'platform', 'claude',
            'priority', $a->{priority}, 'health', $a->{health},
            'last_used_ms', $a->{last_used},
            'cooldown_until_ms', $a->{cooldown},
            'circuit', $a->{circuit} ? 'open' : 'closed',
            'circuit_until_ms', $a->{circuit_until},
            'probe_until_ms', $a->{probe_until},
            'concurrency_limit', $a->{conc_limit},
            'rpm_limit', $a->{rpm_limit}, 'tpm_limit', $a->{tpm_limit},
            'cred', 'x', 'cred_version', 1);
        $stack->redis('SADD', "${prefix}accounts:claude", $a->{id});
        # live leases, plus expired ones the script must drop first
        my @z = map { ($now + 60_000, "live$_") } 1 .. $a->{inflight};
        push @z, map { ($now - 1, "dead$_") } 1 .. int rand 3;
        $stack->redis('ZADD', "${prefix}aconc:$a->{id}", @z) if @z;
        my $minute = int($now / 60000);
        $stack->redis('SET', "${prefix}arpm:$a->{id}:$minute", $a->{rpm});
        $stack->redis('SET', "${prefix}atpm:$a->{id}:$minute", $a->{tpm});
    }

    my $reply = $stack->redis(select_call(
        KEY_POOL => "${prefix}accounts:claude",
        KEY_KEY => "${prefix}key:k1",
        KEY_SYNCED => "${prefix}synced",
        ARG_PREFIX => $prefix, ARG_POOL => 'claude',
        ARG_ENDPOINT => 'messages', ARG_MODEL => 'claude-sonnet-4-5',
        ARG_BOUND_ACCOUNT => 0, ARG_BOUND_GROUP => 0, ARG_NOW => $now,
        ARG_REQUEST_ID => "req$round", ARG_KEY_ID => 1,
        ARG_KEY_CONC_LIMIT => 0, ARG_LEASE_MS => 60000, ARG_SESSION => '',
        ARG_SESSION_TTL => 3600, ARG_EXCLUDED => '',
        ARG_RATE_WINDOW => 0, ARG_RATE_REQUESTS => 0, ARG_RATE_TOKENS => 0,
        ARG_RATE_COST => 0, ARG_DAILY_LIMIT => 0, ARG_DAY => 1,
        ARG_WEEKLY_LIMIT => 0, ARG_WEEK => 1, ARG_TOTAL_LIMIT => 0,
        ARG_QUOTA_LIMIT => 0, ARG_QUOTA_BUCKET => 0, ARG_USER_ID => 1));
    my $picked = $reply->[0] eq 'ok' ? $reply->[1] : 0;

    my $pid = open2(my $out, my $in, $ref);
    print $in "$now\n";
    print $in join(' ', @$_{qw(id active schedulable priority health
                               last_used cooldown circuit circuit_until
                               probe_until inflight conc_limit rpm rpm_limit
                               tpm tpm_limit)}), "\n" for @accounts;
    close $in;
    my $c = <$out>;
    waitpid($pid, 0);
    chomp $c;

    $nonempty++ if $c;
    if ($c eq $picked) {
        $agree++;
    } else {
        diag("round $round: lua picked $picked, C picked $c");
        diag(explain(\@accounts));
    }
}

is($agree, $rounds, "Lua and C agree on all $rounds pools");
ok($nonempty > $rounds / 3, "enough pools had an eligible account ($nonempty)");

$stack->finish;
