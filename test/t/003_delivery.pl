# The delivery hand-off under concurrency: four consumers claiming from the
# outbox at once (pgbench) never get the same message, and every message is
# claimed once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('delivery');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'crm_marketing'\ncrm_marketing.worker_enabled = off\n");
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION crm_marketing;
	CREATE TABLE customers AS SELECT i AS customer_id FROM generate_series(1, 5000) i;
	SELECT crm.create_campaign('bulk', 'SELECT customer_id FROM customers', 'email', holdout_percent => 0);
	SELECT * FROM crm.run_campaign('bulk');
	-- every claim is logged; the primary key catches a message claimed twice
	CREATE TABLE claims (message_id bigint PRIMARY KEY, claimed_by integer);
});

$node->pgbench('--no-vacuum --client=4 --jobs=4 --transactions=200', 0, [qr{processed: 800/800}], [],
	'four consumers claim concurrently without error',
	{ 'claim.sql' => q{
INSERT INTO claims SELECT message_id, pg_backend_pid() FROM crm.claim_messages('email', 10, '1 hour');
SELECT crm.report_delivery(message_id, 'sent') FROM claims WHERE claimed_by = pg_backend_pid() ORDER BY message_id DESC LIMIT 1;
} });

is($node->safe_psql('postgres', 'SELECT count(*) || \' \' || count(DISTINCT message_id) FROM claims'),
	'5000 5000', 'all 5000 messages claimed, none twice');
is($node->safe_psql('postgres', "SELECT count(*) FROM crm.outbox WHERE status = 'queued'"), '0', 'nothing left in the queue');
is($node->safe_psql('postgres', "SELECT count(DISTINCT claimed_by) FROM claims"), '4', 'every consumer got work');
is($node->safe_psql('postgres', "SELECT max(attempts) FROM crm.outbox"), '1', 'each message claimed in one attempt');

$node->stop;
done_testing();
