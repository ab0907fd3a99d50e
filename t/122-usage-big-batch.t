#!/usr/bin/perl
# A usage backlog larger than one INSERT can take: admind's consumer reads
# up to usage_batch stream entries at once, and each entry carries a
# worker's whole event-loop turn of records, so one batch can hold more
# records than MySQL's 65,535 placeholders allow in one statement.  4,000
# records written while admind is down are all stored once it is back, in
# one batch, each once, with their exact tokens; nothing is left pending.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use QL::Stack;

my $stack = QL::Stack->new;
my $P = 'ql:{main}:';
my $STREAM = "${P}usage";
my $account = $stack->make_account;
my $user = $stack->make_user;
my $key = $stack->make_key(userId => $user->{id});

sub sql { $stack->sql_root($_[0]) }

my $tag = QL::Stack::random_hex(4);
my ($entries, $per_entry) = (500, 8);
my $total = $entries * $per_entry;

is($stack->stop_admind, 0, 'admind stops');

my $tokens = 0;
for my $e (1 .. $entries) {
    my @fields;
    for my $r (1 .. $per_entry) {
        my $n = $e * $per_entry + $r;
        $tokens += $n;
        push @fields, 'request_id', sprintf('big-%s-%06d', $tag, $n),
            'ts_ms', int(time * 1000), 'key_id', $key->{id},
            'user_id', $user->{id}, 'account_id', $account->{id},
            'platform', 'claude', 'model', 'claude-sonnet-4-5',
            'input_tokens', $n, 'output_tokens', 1;
    }
    $stack->redis('XADD', $STREAM, '*', @fields);
}
is($stack->redis('XLEN', $STREAM), $entries,
   "$entries entries of $per_entry records wait in the stream");

$stack->_spawn_admind;

my $deadline = time + 60;
my $rows = -1;
while (time < $deadline) {
    $rows = sql("SELECT COUNT(*) FROM usage_records "
                . "WHERE request_id LIKE 'big-$tag-%'") + 0;
    last if $rows == $total;
    sleep 0.2;
}
is($rows, $total, "all $total records stored");
is(sql("SELECT SUM(input_tokens) FROM usage_records "
       . "WHERE request_id LIKE 'big-$tag-%'") + 0, $tokens,
   '... each once, with its own tokens');

$deadline = time + 10;
sleep 0.1 while time < $deadline && $stack->redis('XLEN', $STREAM) > 0;
is($stack->redis('XLEN', $STREAM), 0, 'the stream is empty');
my $pending = $stack->redis('XPENDING', $STREAM, 'admind');
is(ref $pending ? $pending->[0] + 0 : -1, 0, 'nothing pending');
ok(!QL::Stack::file_has("$stack->{dir}/log/admind.log",
                        qr/cannot be stored/),
   'no batch was refused on its size');
ok(QL::Stack::file_has("$stack->{dir}/log/admind.log",
                       qr/"usage records stored".*"records":\Q$total\E,/),
   "... and they went in one batch of $total records");

done_testing;
