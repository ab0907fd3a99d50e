#!/usr/bin/perl
# A real Prometheus scrapes the gateway's and admind's /metrics (issue 16):
# promtool finds both expositions valid, and after a known mix of requests
# (successes, a refused key, a failover) the Prometheus HTTP API gives the
# exact counts.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use IPC::Open3;
use QL::Stack;

my $stack = QL::Stack->new;
my $mock = $stack->mock_url;
my $dir = $stack->dir;

# promtool reads the exposition on stdin; its findings go to stderr
sub promtool_ok {
    my ($text, $what) = @_;
    my $pid = open3(my $in, my $out, undef, 'promtool', 'check', 'metrics');
    print $in $text;
    close $in;
    my $said = do { local $/; <$out> } // '';
    waitpid($pid, 0);
    is($? >> 8, 0, "promtool: $what is valid and lint-clean")
        or diag($said);
}

my $first = $stack->make_account(type => 'claude-console', priority => 1,
                                 apiKey => 'sk-first');
my $second = $stack->make_account(type => 'claude-console', priority => 2,
                                  apiKey => 'sk-second');
my $key = $stack->make_key;

sub message { $stack->message($key) }

is(message()->{status}, 200, 'proxied') for 1 .. 3;
is($stack->gateway('POST', '/v1/messages',
                   { 'x-api-key' => QL::Stack::random_key() },
                   { model => 'x', messages => [] })->{status}, 401,
   'a refused key');
$stack->request('POST', "$mock/__mock/rules", {},
    { match => { header => 'x-api-key', value => 'sk-first' },
      'x-mock' => 'status=529', times => 1 });
is(message()->{status}, 200, 'a 529 failed over');

promtool_ok($stack->gateway('GET', '/metrics')->{content},
            "the gateway's /metrics");
promtool_ok($stack->request('GET', $stack->admin_url . '/metrics')->{content},
            "admind's /metrics");

# ---- Prometheus itself ----

my $port = QL::Stack::free_port();
(my $gw = $stack->gateway_url) =~ s{^http://}{};
(my $ad = $stack->admin_url) =~ s{^http://}{};
QL::Stack::write_file("$dir/prometheus.yml", <<"YML", 0644);
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: quotalane-gateway
    static_configs:
      - targets: ['$gw']
  - job_name: quotalane-admind
    static_configs:
      - targets: ['$ad']
YML
$stack->spawn('prometheus', "$dir/log/prometheus.log", 'prometheus',
              "--config.file=$dir/prometheus.yml",
              "--storage.tsdb.path=$dir/prometheus",
              "--web.listen-address=127.0.0.1:$port");

sub query {
    my ($q) = @_;
    my $res = $stack->request('GET', "http://127.0.0.1:$port/api/v1/query?"
                              . 'query=' . uri($q));
    my $r = $res->{json}{data}{result} || [];
    return @$r ? $r->[0]{value}[1] : undef;
}

sub uri {
    (my $s = $_[0]) =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

ok($stack->eventually(60, sub {
       defined query('up{job="quotalane-gateway"}')
       && defined query('up{job="quotalane-admind"}') }),
   'Prometheus scrapes both');
is(query('up{job="quotalane-gateway"}'), 1, 'the gateway is up');
is(query('up{job="quotalane-admind"}'), 1, 'admind is up');

my %expect = (
    'quotalane_requests_total{platform="claude",outcome="proxied"}' => 4,
    'quotalane_requests_total{platform="claude",outcome="authentication"}'
        => 1,
    'quotalane_failovers_total{platform="claude",status="529"}' => 1,
    'sum(quotalane_tokens_total{model="claude-sonnet-4-5",kind="output"})'
        => 12,
    'sum(admind_usage_records_stored_total)' => 4,
    'count(admind_account_up)' => 2,
);
for my $q (sort keys %expect) {
    my $got;
    $stack->eventually(30, sub {
        $got = query($q);
        defined $got && $got == $expect{$q};
    });
    is($got, $expect{$q}, "Prometheus: $q");
}
ok(query('admind_account_cooldown_seconds{account="' . $first->{id}
         . '"}') > 0, "Prometheus: the 529'd account's cooldown");

# ---- a Redis restart: the gateway says so, and serves again ----

$stack->stop_redis;
is(message()->{status}, 503, 'Redis down: 503');
$stack->restart_redis;
ok($stack->eventually(30, sub { message()->{status} == 200 }),
   'Redis back (refilled by admind): 200');
my $lost;
ok($stack->eventually(30, sub {
       $lost = query('sum(quotalane_redis_disconnects_total)');
       defined $lost && $lost >= 1 }),
   'Prometheus: the lost Redis connection counted');
my $refused;
ok($stack->eventually(30, sub {
       $refused = query('sum(quotalane_requests_total{outcome="unavailable"})');
       defined $refused && $refused >= 1 }),
   'Prometheus: the 503 while it was down counted');

# the shipped dashboard draws metrics that exist
my $repo = QL::Stack::repo();
my $dash = do {
    open my $fh, '<', "$repo/conf/grafana-dashboard.json" or die $!;
    JSON::PP::decode_json(do { local $/; <$fh> });
};
my %names;
for my $p (@{ $dash->{panels} }) {
    $names{$_} = 1 for map { $_->{expr} =~ /\b((?:quotalane|admind)_\w+)/g }
                       @{ $p->{targets} };
}
ok(keys %names > 10, 'the dashboard names the metrics');
for my $name (sort keys %names) {
    # (a scrape just after the Redis restart may lack a Redis-read series)
    ok($stack->eventually(30, sub {
           defined query("count({__name__=\"$name\"})") }),
       "the dashboard's $name is scraped");
}

$stack->finish;
