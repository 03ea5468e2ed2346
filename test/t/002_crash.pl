# Exactly once, whatever crashes: a backend killed with SIGKILL in the middle
# of a campaign run (the server goes through crash recovery), and two
# overlapping runs of the same campaign, never produce a second entry or a
# second message for the same key, and never lose a committed one.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'crm_marketing'
crm_marketing.worker_enabled = off
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION crm_marketing;
	CREATE TABLE customers AS SELECT i AS customer_id FROM generate_series(1, 2000) i;
	-- a slow audience: 2000 rows, a millisecond each
	SELECT crm.create_campaign('slow', 'SELECT customer_id FROM customers WHERE pg_sleep(0.001) IS NOT NULL',
	                           'email', holdout_percent => 25, run_every => '1 second');
});

sub counts
{
	return $node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM crm.campaign_entries) || ' entries, '
		    || (SELECT count(DISTINCT customer_id) FROM crm.campaign_entries) || ' customers, '
		    || (SELECT count(*) FROM crm.outbox) || ' messages, '
		    || (SELECT count(DISTINCT idempotency_key) FROM crm.outbox) || ' keys, '
		    || (SELECT count(*) FROM crm.campaign_entries WHERE arm = 'treatment' AND message_id IS NULL) || ' treatment without message'});
}

# 1. SIGKILL a backend in the middle of a run
my $run = $node->background_psql('postgres');
$run->query_until(qr/started/, q{
	\echo started
	SELECT * FROM crm.run_campaign('slow');
});
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%run_campaign(''slow'')%' AND state = 'active' AND pid <> pg_backend_pid()"),
	'a run is under way');
sleep 1;
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE query LIKE '%run_campaign(''slow'')%' AND state = 'active' AND pid <> pg_backend_pid()");
kill 'KILL', $pid;
eval { $run->quit; };
ok($node->poll_query_until('postgres', 'SELECT true'), 'the server came back from crash recovery');
is(counts(), '0 entries, 0 customers, 0 messages, 0 keys, 0 treatment without message',
	'nothing of the killed run was committed');

# 2. the same run again, to the end
$node->safe_psql('postgres', "SELECT * FROM crm.run_campaign('slow')");
is(counts(), '2000 entries, 2000 customers, ' . $node->safe_psql('postgres', "SELECT count(*) FROM crm.campaign_entries WHERE arm = 'treatment'")
	. ' messages, ' . $node->safe_psql('postgres', "SELECT count(*) FROM crm.campaign_entries WHERE arm = 'treatment'")
	. ' keys, 0 treatment without message', 'every customer entered once, with one message per treated customer');

# 3. a crash right after a committed run: nothing lost, and a re-run adds nothing
$node->stop('immediate');
$node->start;
my $before = counts();
$node->safe_psql('postgres', "SELECT * FROM crm.run_campaign('slow')");
is(counts(), $before, 'after a crash the committed run is all there, and a re-run writes nothing twice');

# 4. two overlapping runs of a campaign with new customers: the second waits, then adds nothing
$node->safe_psql('postgres', 'INSERT INTO customers SELECT i FROM generate_series(2001, 3000) i');
my $last_run = $node->safe_psql('postgres', 'SELECT max(run_id) FROM crm.job_runs');
my $a = $node->background_psql('postgres');
my $b = $node->background_psql('postgres');
$a->query_until(qr/go/, "\\echo go\nSELECT entries FROM crm.run_campaign('slow');\n");
$b->query_until(qr/go/, "\\echo go\nSELECT entries FROM crm.run_campaign('slow');\n");
ok($node->poll_query_until('postgres', "SELECT count(*) = 3000 FROM crm.campaign_entries"),
	'the overlapping runs finished');
$a->quit;
$b->quit;
my ($entries, $customers, $messages, $keys) =
	split /,/, $node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM crm.campaign_entries) || ',' || (SELECT count(DISTINCT customer_id) FROM crm.campaign_entries)
		    || ',' || (SELECT count(*) FROM crm.outbox) || ',' || (SELECT count(DISTINCT idempotency_key) FROM crm.outbox)});
is($entries, $customers, 'one entry per customer after overlapping runs');
is($messages, $keys, 'one message per key after overlapping runs');
ok($node->poll_query_until('postgres', "SELECT count(*) = 2 FROM crm.job_runs WHERE run_id > $last_run"),
	'both runs are recorded');
is($node->safe_psql('postgres', "SELECT string_agg(entries::text, ',' ORDER BY run_id) FROM crm.job_runs WHERE run_id > $last_run"),
	'1000,0', 'the first run wrote the new entries, the second (waiting on the first) none');

$node->stop;
done_testing();
