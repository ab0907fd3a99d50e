package QL::Contract;

# The admin API contract as the tests read it: proto/quotalane/v1 compiled
# by scripts/api-docs.sh into a descriptor set in a temp dir of its own
# (tests run in parallel), decoded by scripts/api_reference.py into routes
# (method, path, access, request and response message) and messages
# (fields with JSON name, type, repetition and behavior).

use strict;
use warnings;

use File::Temp qw(tempdir);
use JSON::PP;

use QL::Stack;

# (contract, output of the check): with check => 1 the generated
# reference is also compared with the committed docs/API.md, and the
# output says how they differ (empty when they do not).
sub load {
    my (%opt) = @_;
    my $repo = QL::Stack::repo();
    my $tmp = tempdir(CLEANUP => 1);
    my $mode = $opt{check} ? '--check' : '--descriptor';

    my $out = `cd $repo && API_DOCS_OUT=$tmp scripts/api-docs.sh $mode 2>&1`;
    my $failed = $? != 0;
    die "api-docs.sh failed:\n$out" if $failed && !$opt{check};

    my $pb = "$tmp/quotalane.pb";
    my $json = `python3 $repo/scripts/api_reference.py json $pb`;
    die "api_reference.py json failed\n" if $? != 0;

    return (JSON::PP->new->decode($json), $failed ? ($out || 'failed') : '');
}

# A route's path with every {param} replaced by value.
sub fill {
    my ($path, $value) = @_;
    $path =~ s/\{[^}]+\}/$value/g;
    return $path;
}

1;
