#!/usr/bin/perl
# Classify bounce files with Sisimai (Debian's libsisimai-perl), one JSON line per file:
# {"file", "reason", "status", "replycode", "recipient"} of the first bounced recipient,
# the same shape as `helpdesk bounce --json`, so that bench/bounces.py can time and score both.
#
# With --passes N, the files are read into memory once, classified once untimed (Sisimai
# loads the modules of each MTA format when it first meets one), then N more times, each
# pass making the JSON lines as helpdesk's makes its own; a last line {"passes": [seconds
# of each timed pass]} follows the lines of the last pass. That is the in-process figure,
# after warm-up, that bench/bounces.py compares.
use strict;
use warnings;
use Getopt::Long qw(GetOptions);
use JSON::PP;
use Sisimai;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my $passes = 0;
GetOptions('passes=i' => \$passes) or die "usage: $0 [--passes N] FILE...\n";

my $json = JSON::PP->new->canonical(1);
binmode STDOUT, ':raw';

sub classify {
    my ($file, $input) = @_;
    my $data = eval { Sisimai->make($input, 'delivered' => 1, 'vacation' => 1) } || [];
    my $first = $data->[0];
    my %out = ('file' => $file, 'reason' => 'undefined', 'status' => '', 'replycode' => '',
               'recipient' => '');
    if ($first) {
        $out{'reason'}    = $first->reason // 'undefined';
        $out{'status'}    = $first->deliverystatus // '';
        $out{'replycode'} = $first->replycode // '';
        $out{'recipient'} = $first->recipient ? $first->recipient->address : '';
    }
    return $json->encode(\%out) . "\n";
}

if (!$passes) {
    print classify($_, $_) for @ARGV;
    exit 0;
}

my @messages;
for my $file (@ARGV) {
    open(my $handle, '<:raw', $file) or die "$file: $!\n";
    local $/;
    push @messages, [$file, scalar <$handle>];
    close $handle;
}
my @results = map { classify($_->[0], \$_->[1]) } @messages;    # warm-up, untimed
my @seconds;
for (1 .. $passes) {
    my $start = clock_gettime(CLOCK_MONOTONIC);
    @results = map { classify($_->[0], \$_->[1]) } @messages;
    push @seconds, clock_gettime(CLOCK_MONOTONIC) - $start;
}
print @results;
print $json->encode({'passes' => \@seconds}), "\n";
