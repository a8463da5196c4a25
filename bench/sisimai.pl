#!/usr/bin/perl
# Classify bounce files with Sisimai (Debian's libsisimai-perl), one JSON line per file:
# {"file", "reason", "status", "replycode", "recipient"} of the first bounced recipient,
# the same shape as `helpdesk bounce --json`, so that bench/bounces.py can time and score both.
use strict;
use warnings;
use Sisimai;
use JSON::PP;

my $json = JSON::PP->new->canonical(1);
binmode STDOUT, ':raw';
for my $file (@ARGV) {
    my $data = eval { Sisimai->make($file, 'delivered' => 1, 'vacation' => 1) } || [];
    my $first = $data->[0];
    my %out = ('file' => $file, 'reason' => 'undefined', 'status' => '', 'replycode' => '',
               'recipient' => '');
    if ($first) {
        $out{'reason'}    = $first->reason // 'undefined';
        $out{'status'}    = $first->deliverystatus // '';
        $out{'replycode'} = $first->replycode // '';
        $out{'recipient'} = $first->recipient ? $first->recipient->address : '';
    }
    print $json->encode(\%out), "\n";
}
