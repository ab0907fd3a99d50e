#!/usr/bin/perl
# Prometheus metrics of the module (issue 16, first part): after a known
# mix of requests the counters at /metrics are exact, the exposition is
# well formed (TYPE before samples, histograms cumulative with +Inf equal
# to their count), and the counters survive a reload.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use QL::Stack;

# with the JSON access log of conf/quotalane_log_json.conf beside it
my $repo = QL::Stack::repo();
my $stack = QL::Stack->new(nginx_http => join("\n",
    "include $repo/conf/quotalane_log_json.conf;",
    'access_log @LOG_DIR@/access.json quotalane_json;'));
my $mock = $stack->mock_url;

sub metrics {
    my $res = $stack->gateway('GET', '/metrics');
    die "metrics: $res->{status}" unless $res->{status} == 200;
    return $res;
}

# name{labels} -> value, and the exposition checked line by line
sub parse {
    my ($text) = @_;
    my (%v, %type, @bad);
    for my $line (split /\n/, $text) {
        if ($line =~ /^# TYPE (\w+) (counter|gauge|histogram)$/) {
            $type{$1} = $2;
        } elsif ($line =~ /^# HELP \w+ .+$/) {
        } elsif ($line =~ /^(\w+)(\{[^}]*\})? (-?\d+(?:\.\d+)?)$/) {
            my ($name, $labels, $value) = ($1, $2 // '', $3);
            my $family = $name;
            $family =~ s/_(bucket|sum|count)$// unless $type{$name};
            push @bad, "no TYPE before $line" unless $type{$family};
            $v{"$name$labels"} = $value;
        } else {
            push @bad, "malformed: $line";
        }
    }
    return (\%v, \@bad);
}

sub val {
    my ($v, $key) = @_;
    return $v->{$key} // 0;
}

my $first = $stack->make_account(type => 'claude-console', priority => 1,
                             apiKey => 'sk-first');
my $second = $stack->make_account(type => 'claude-console', priority => 2,
                             apiKey => 'sk-second');
my $key = $stack->make_key;

my ($before) = parse(metrics()->{content});

sub message {
    my (%h) = @_;
    return $stack->message($key, headers => \%h);
}

is(message()->{status}, 200, 'proxied') for 1 .. 3;
is($stack->gateway('POST', '/v1/messages',
                   { 'x-api-key' => QL::Stack::random_key() },
                   { model => 'x', messages => [] })->{status}, 401,
   'an unknown key');
$stack->request('POST', "$mock/__mock/rules", {},
    { match => { header => 'x-api-key', value => 'sk-first' },
      'x-mock' => 'status=429;retry_after=600', times => 1 });
is(message()->{status}, 200, 'a 429 failed over');

# a request's log phase (which counts it) may run just after its answer
my ($res, $v, $bad);
sub delta { val($v, $_[0]) - val($before, $_[0]) }
$stack->eventually(5, sub {
    $res = metrics();
    ($v, $bad) = parse($res->{content});
    delta('quotalane_requests_total{platform="claude",outcome="proxied"}')
        >= 4 && val($v, 'quotalane_responses_active') == 0;
});
like($res->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
     'the exposition content type');
is_deeply($bad, [], 'every line well formed, each family typed');

is(delta('quotalane_requests_total{platform="claude",outcome="proxied"}'),
   4, 'four proxied');
is(delta('quotalane_requests_total{platform="claude",'
         . 'outcome="authentication"}'), 1, 'one refused key');
is(delta('quotalane_failovers_total{platform="claude",status="429"}'), 1,
   'one failover on a 429');
is(delta('quotalane_upstream_responses_total{platform="claude",'
         . 'class="2xx"}'), 4, 'four 2xx answers passed on');
is(delta('quotalane_tokens_total{model="claude-sonnet-4-5",kind="input"}'),
   4 * 12, "input tokens by the price table's model");
is(delta('quotalane_tokens_total{model="claude-sonnet-4-5",kind="output"}'),
   4 * 3, 'output tokens');
ok(delta('quotalane_cost_micros_total{model="claude-sonnet-4-5"}') > 0,
   'cost by model');
is(delta('quotalane_redis_ops_total{script="select",result="ok"}'), 5,
   'five select calls (four requests, one failover)');
is(delta('quotalane_gateway_overhead_seconds_count'), 4,
   'overhead observed per proxied request');
is(val($v, 'quotalane_responses_active'), 0, 'no answer in flight now');
is(val($v, 'quotalane_usage_records_waiting'), 0, 'no record waiting');
ok(delta('quotalane_key_cache_total{result="miss"}')
   + delta('quotalane_key_cache_total{result="hit"}') >= 5,
   'key cache lookups counted');

# histograms: cumulative buckets, +Inf equals the count
for my $h (qw(quotalane_gateway_overhead_seconds
              quotalane_upstream_ttfb_seconds)) {
    my @buckets = map { $v->{$_} } sort {
        my ($x) = $a =~ /le="([^"]+)"/; my ($y) = $b =~ /le="([^"]+)"/;
        ($x eq '+Inf' ? 1e99 : $x) <=> ($y eq '+Inf' ? 1e99 : $y)
    } grep { /^${h}_bucket/ } keys %$v;
    my $sorted = join(',', @buckets) eq join(',', sort { $a <=> $b }
                                              @buckets);
    ok($sorted, "$h: buckets cumulative");
    is($buckets[-1], $v->{"${h}_count"}, "$h: +Inf is the count");
}

# a reload keeps them (shared memory)
$stack->reload_nginx;
sleep 1;
my ($after) = parse(metrics()->{content});
ok(val($after, 'quotalane_requests_total{platform="claude",'
                . 'outcome="proxied"}')
   >= val($v, 'quotalane_requests_total{platform="claude",'
              . 'outcome="proxied"}'), 'counters survive a reload');

is($stack->gateway('POST', '/metrics')->{status}, 405, 'GET only');

# ---- admind's /metrics ----

sub admind_metrics {
    my ($url, $headers) = @_;
    return $stack->request('GET', "$url/metrics", $headers || {});
}

my $am;
$stack->eventually(10, sub {
    my $r = admind_metrics($stack->admin_url);
    ($am, $bad) = parse($r->{content});
    ($am->{admind_usage_records_stored_total} // 0) >= 4;
});
is_deeply($bad, [], "admind's exposition well formed");
ok($am->{'admind_http_requests_total{method="POST",route="/api/v1/accounts",'
         . 'class="2xx"}'} >= 2, 'admind counts its API requests by route');
ok($am->{admind_usage_records_stored_total} >= 4,
   'usage records stored, counted');
ok($am->{admind_usage_batch_duration_seconds_count} >= 1,
   'usage batches timed');
my $labels = sprintf('account="%s",name="%s",type="claude-console"',
                     $first->{id}, $first->{name});
is($am->{"admind_account_up{$labels,status=\"active\"}"}, 1,
   'an account, with its status');
ok(($am->{"admind_account_cooldown_seconds{$labels}"} // 0) > 500,
   "the 429'd account's cooldown");
is($am->{'admind_usage_stream_entries{state="pending"}'}, 0,
   'nothing pending in the usage stream');
ok(defined $am->{admind_usage_lag_seconds}, 'the usage lag shown');
ok(!grep({ /quotalane_picks_total/ } keys %$am), '(the module has the picks)');
is(delta('quotalane_picks_total{platform="claude",kind="bound"}'), 0,
   'no bound key in this mix: no bound picks');

# with a token file: the token, from anywhere; nothing else
my $token_file = $stack->dir . '/metrics.token';
QL::Stack::write_file($token_file, "scrape-token-1\n", 0600);
my $url2 = $stack->start_another_admind("metrics_token_file = $token_file");
is(admind_metrics($url2)->{status}, 403, 'a token file: none, 403');
is(admind_metrics($url2, { authorization => 'Bearer wrong' })->{status},
   403, 'a wrong token, 403');
is(admind_metrics($url2, { authorization => 'Bearer scrape-token-1' })
       ->{status}, 200, 'the token, 200');

# ---- the JSON access log: every line an object, the timing variables ----

my @log = do {
    open my $fh, '<', $stack->dir . '/log/access.json' or die $!;
    map { JSON::PP::decode_json($_) } <$fh>;
};
my @proxied = grep { $_->{uri} eq '/v1/messages' && $_->{status} == 200 }
              @log;
is(scalar @proxied, 4, 'the JSON log: one object per proxied request');
ok(!grep({ $_->{overhead_ms} !~ /^\d+$/ || $_->{ttfb_ms} !~ /^\d+$/ }
         @proxied), 'overhead_ms and ttfb_ms on each');
is_deeply([ map { $_->{failovers} } @proxied ], [ 0, 0, 0, 1 ],
          'failovers: the last one failed over once');
is($proxied[0]{input_tokens}, 12, 'tokens in it');
ok(!grep({ /upstream_(authorization|x_api_key|api_key|goog)/ } keys %{ $log[0] }),
   'no credential in it');

# ---- sticky sessions ----

my ($picks_before) = parse(metrics()->{content});
my $convo = { model => 'claude-sonnet-4-5', max_tokens => 8,
              messages => [ { role => 'user', content => 'one talk' } ] };
$stack->gateway('POST', '/v1/messages', { 'x-api-key' => $key->{key} },
                $convo) for 1 .. 2;
my $picks;
$stack->eventually(5, sub {
    ($picks) = parse(metrics()->{content});
    val($picks, 'quotalane_picks_total{platform="claude",kind="sticky"}')
        > val($picks_before,
              'quotalane_picks_total{platform="claude",kind="sticky"}');
});
is(val($picks, 'quotalane_picks_total{platform="claude",kind="sticky"}')
   - val($picks_before,
         'quotalane_picks_total{platform="claude",kind="sticky"}'), 1,
   'the second turn of a conversation: a sticky pick');
is(val($picks, 'quotalane_picks_total{platform="claude",kind="fresh"}')
   - val($picks_before,
         'quotalane_picks_total{platform="claude",kind="fresh"}'), 1,
   'the first: a fresh one');
ok($stack->eventually(5, sub {
       open my $fh, '<', $stack->dir . '/log/access.json' or return 0;
       my @l = grep { $_->{uri} eq '/v1/messages' }
               map { JSON::PP::decode_json($_) } <$fh>;
       @l >= 2 && $l[-1]{sticky} eq '1' && $l[-2]{sticky} eq '0' }),
   '$quotalane_sticky in the log: 0, then 1');

# ---- trace context ----

sub header_of {
    my ($req, $name) = @_;
    for my $h (@{ $req->{headers} || [] }) {
        return $h->[1] if lc $h->[0] eq $name;
    }
    return undef;
}

my $trace = '4bf92f3577b34da6a3ce929d0e0e4736';
$stack->mock_clear;
$res = message(traceparent => "00-$trace-00f067aa0ba902b7-01");
is($res->{headers}{'x-quotalane-trace-id'}, $trace,
   "the client's trace id answered");
like($res->{headers}{'x-quotalane-request-id'} // '', qr/^[0-9a-f]{32}$/,
     'and the request id');
my $up = header_of($stack->mock_requests->[0], 'traceparent') // '';
like($up, qr/^00-$trace-[0-9a-f]{16}-01$/,
     'the upstream gets the trace, flags kept');
unlike($up, qr/00f067aa0ba902b7/, 'with the gateway as the parent');
my $rid = $res->{headers}{'x-quotalane-request-id'};
ok($stack->eventually(10, sub {
       my $rows = $stack->admin('GET', "/api/v1/usage/records?traceId=$trace")
                      ->{json}{records} || [];
       @$rows == 1 && $rows->[0]{requestId} eq $rid }),
   'the usage record found by its trace id');

$stack->mock_clear;
$res = message(traceparent => 'not-a-traceparent');
$rid = $res->{headers}{'x-quotalane-request-id'};
is($res->{headers}{'x-quotalane-trace-id'}, $rid,
   'a malformed traceparent: the gateway starts a trace, the request id');
like(header_of($stack->mock_requests->[0], 'traceparent') // '',
     qr/^00-$rid-[0-9a-f]{16}-00$/, 'and passes that one upstream');

$res = $stack->gateway('POST', '/v1/messages',
                       { 'x-api-key' => QL::Stack::random_key() },
                       { model => 'x', messages => [] });
like($res->{headers}{'x-quotalane-request-id'} // '', qr/^[0-9a-f]{32}$/,
     'a refused request has its request id too');

ok($stack->eventually(5, sub {
       open my $fh, '<', $stack->dir . '/log/access.json' or return 0;
       grep { (JSON::PP::decode_json($_)->{trace_id} // '') eq $trace } <$fh>;
   }), 'the trace id in the JSON access log');

$stack->finish;
